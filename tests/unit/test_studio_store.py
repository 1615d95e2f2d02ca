"""langgraph.json's "store": the case bank as the server's store, over the graph's resources."""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from graphs.studio import GraphFactory, SharedResources
from graphs.studio_store import TRUSTED_ENV, store_over
from memory import CaseBank
from memory.adapters.langgraph_store import MementoStore
from nodes import MementoDeps
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parents[2]


def test_langgraph_json_names_the_store_factory() -> None:
    path = json.loads((ROOT / "langgraph.json").read_text())["store"]["path"]
    module, name = path.rsplit(".", 1)  # the server's module syntax for a store
    assert inspect.iscoroutinefunction(getattr(importlib.import_module(module), name))


@asynccontextmanager
async def _factory(opened: list[MementoDeps]) -> AsyncIterator[GraphFactory]:
    @asynccontextmanager
    async def opener() -> AsyncIterator[MementoDeps]:
        with CaseBank(":memory:", dim=64) as bank:
            opened.append(MementoDeps(bank=bank, embedder=HashingEmbedder(dim=64)))
            yield opened[-1]

    factory = GraphFactory(SharedResources(opener))
    try:
        yield factory
    finally:
        await factory.aclose()


async def test_the_store_is_the_graphs_own_bank_and_embedder() -> None:
    opened: list[MementoDeps] = []
    async with _factory(opened) as factory:
        store = await store_over(factory)()
        await factory()  # the graph, built over the same resources
        assert isinstance(store, MementoStore) and len(opened) == 1
        assert store.bank is opened[0].bank and store.embedder is opened[0].embedder


@pytest.mark.parametrize(("setting", "trusted"), [(None, False), ("0", False), ("1", True)])
async def test_the_store_is_trusted_only_where_a_person_set_it(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, trusted: bool
) -> None:
    """A request cannot reach the server's environment; a run's context it can send."""
    if setting is None:
        monkeypatch.delenv(TRUSTED_ENV, raising=False)
    else:
        monkeypatch.setenv(TRUSTED_ENV, setting)
    async with _factory([]) as factory:
        assert (await store_over(factory)()).trusted is trusted


async def test_a_trust_setting_that_is_not_0_or_1_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TRUSTED_ENV, "yes please")
    async with _factory([]) as factory:
        with pytest.raises(ValueError, match=f"{TRUSTED_ENV} must be 0 or 1, got 'yes please'"):
            await store_over(factory)()
