"""Environment fallbacks of the context, including `store`, whose default is computed."""

from __future__ import annotations

import pytest

from graphs import MementoContext


def test_memento_store_and_namespace_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMENTO_STORE", "/tmp/elsewhere")
    monkeypatch.setenv("MEMENTO_NAMESPACE", "team-a")
    ctx = MementoContext()
    assert (ctx.store, ctx.namespace) == ("/tmp/elsewhere", "team-a")


def test_an_explicit_value_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMENTO_STORE", "/tmp/elsewhere")
    assert MementoContext(store=":memory:").store == ":memory:"


def test_an_explicit_value_equal_to_the_default_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEMENTO_NAMESPACE", "team-a")
    monkeypatch.setenv("MEMENTO_MODEL", "local")
    ctx = MementoContext(namespace="default", planner_model="gpt-4.1", store=":memory:")
    assert (ctx.namespace, ctx.planner_model, ctx.executor_model) == ("default", "gpt-4.1", "local")
