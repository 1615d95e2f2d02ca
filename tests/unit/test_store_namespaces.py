"""Store tuples <-> bank namespaces, and namespace templates filled per run."""

from __future__ import annotations

import pytest
from langgraph.store.base import InvalidNamespaceError

from memory.adapters.store_namespaces import (
    NamespaceTemplateError,
    bank_namespace,
    fill_template,
    is_template,
    run_values,
    store_namespace,
)
from memory.bank.namespaces import is_valid_namespace
from nodes.context import ContextError
from nodes.run_namespace import run_context
from tests.conftest import make_context


@pytest.mark.parametrize(
    "labels", [("default",), ("memento", "alice"), ("org-1", "team_a", "bob@home", "x")]
)
def test_the_mapping_is_reversible_and_passes_the_bank_rule(labels: tuple[str, ...]) -> None:
    namespace = bank_namespace(labels)
    assert is_valid_namespace(namespace)
    assert store_namespace(namespace) == labels


@pytest.mark.parametrize(
    "labels", [(), ("a.b",), ("memento", "a:b"), ("memento", "../x"), ("a/b",), ("",), ("a b",)]
)
def test_a_tuple_that_cannot_map_is_refused_naming_it(labels: tuple[str, ...]) -> None:
    with pytest.raises(InvalidNamespaceError) as error:
        bank_namespace(labels)
    assert "label" in str(error.value)
    if labels:
        assert repr(labels[-1]) in str(error.value)


def test_a_tuple_too_long_for_the_bank_is_refused() -> None:
    with pytest.raises(InvalidNamespaceError, match="too long"):
        bank_namespace(("a" * 100, "b" * 100))


def test_bank_namespaces_with_a_dot_have_no_tuple() -> None:
    assert store_namespace("team.alpha") is None
    assert store_namespace("memento:alice") == ("memento", "alice")


@pytest.mark.parametrize("template", ["memento:{user_id}", ("memento", "{user_id}")])
def test_a_template_is_filled_from_the_run(template) -> None:
    assert is_template(template) and not is_template("memento:alice")
    assert fill_template(template, {"user_id": "alice"}.get) == "memento:alice"


@pytest.mark.parametrize("value", ["../x", "a/b", "a:b", "a.b", " ", "a\x00b"])
def test_a_value_that_could_escape_its_label_is_refused(value: str) -> None:
    with pytest.raises(NamespaceTemplateError, match="is not allowed"):
        fill_template("memento:{user_id}", {"user_id": value}.get)


def test_a_missing_value_fails_instead_of_sharing_a_default() -> None:
    with pytest.raises(NamespaceTemplateError, match="needs 'user_id'"):
        fill_template("memento:{user_id}", {}.get)
    with pytest.raises(NamespaceTemplateError, match="needs 'user_id'"):
        fill_template("memento:{user_id}", {"user_id": ""}.get)


def test_values_come_from_the_context_first_then_configurable() -> None:
    values = run_values({"user_id": "ctx"}, {"user_id": "conf", "org": "acme"})
    assert (values("user_id"), values("org"), values("nope")) == ("ctx", "acme", None)

    class Context:
        user_id = None  # not given: configurable decides

    assert run_values(Context(), {"user_id": "conf"})("user_id") == "conf"


def test_the_graph_context_resolves_its_template_per_run() -> None:
    ctx = make_context(namespace_template="memento:{user_id}", user_id="alice")
    resolved = run_context(ctx, {"user_id": "mallory"})
    assert resolved.namespace == "memento:alice" and resolved.namespace_template is None
    assert ctx.namespace == "default"  # the run's copy changed, not the caller's context
    from_config = run_context(make_context(namespace_template="t:{user_id}"), {"user_id": "bob"})
    assert from_config.namespace == "t:bob"
    assert run_context(make_context(namespace="fixed"), {"user_id": "bob"}).namespace == "fixed"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("memento:{}", "must name a value"),
        ("mem/ento:{user_id}", "'mem/ento' is not allowed"),
        ("memento:{user_id!r}", "without ':' or '!'"),
        ("memento:{user_id", "namespace template"),
    ],
)
def test_a_bad_template_is_refused_when_the_context_is_made(template: str, problem: str) -> None:
    with pytest.raises(ContextError, match="namespace_template") as error:
        make_context(namespace_template=template)
    assert problem in str(error.value)


def test_a_bad_user_id_is_refused_when_the_context_is_made() -> None:
    with pytest.raises(ContextError, match="'user_id'"):
        make_context(user_id="../bob")
