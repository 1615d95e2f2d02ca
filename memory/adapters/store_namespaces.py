"""LangGraph store namespaces (tuples) as case-bank namespaces (strings), and per-run templates.

A bank namespace is one string (`memory.bank.namespaces`); a LangGraph `BaseStore` namespace is a
tuple of labels. The mapping joins the labels with ':' and splits them again: the store's
("memento", "alice") is the bank's "memento:alice", and the bank's "default" is ("default",).
It is reversible because a label may hold only letters, digits and `_ @ -`: no ':' (the
separator) and no '.' (LangGraph refuses it in labels), so no label can reach into another's
place, and "../x" or "a/b" is no label at all. Bank namespaces that hold a '.' have no tuple;
the store does not show them.

A namespace template such as ("memento", "{user_id}") or "memento:{user_id}" is filled per run
from the run's values (its context, its `configurable`), so one deployment serves many users
each in a namespace of their own; a missing value is an error, never a shared default.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from typing import Any

from memory.bank.namespaces import NAMESPACE_RULE, is_valid_namespace

SEPARATOR = ":"
LABEL_PATTERN = re.compile(r"[A-Za-z0-9_@-]+")
LABEL_RULE = "1 or more letters, digits and _ @ - (no '.', ':', '/' or spaces)"

NamespaceTemplate = str | tuple[str, ...]
"""A bank namespace or a store tuple, where a label may be a `{name}` filled per run."""


class NamespaceTemplateError(ValueError):
    """A namespace template that is malformed, or that a run cannot fill (`missing`: the name
    of the value it lacks)."""

    def __init__(self, message: str, *, missing: str | None = None) -> None:
        super().__init__(message)
        self.missing = missing


def _invalid_namespace(message: str) -> ValueError:
    """LangGraph's own error for a store namespace, imported when one is raised: importing
    `langgraph.store` costs ~0.17 s, which every command validating a context (`memento
    --help` included) would pay otherwise."""
    from langgraph.store.base import InvalidNamespaceError

    return InvalidNamespaceError(message)


def bank_namespace(namespace: tuple[str, ...]) -> str:
    """The bank namespace of a store namespace; InvalidNamespaceError names a label that
    cannot map."""
    if not namespace:
        raise _invalid_namespace("a Memento store namespace needs at least one label")
    for label in namespace:
        if not isinstance(label, str) or not LABEL_PATTERN.fullmatch(label):
            raise _invalid_namespace(
                f"namespace label {label!r} in {namespace!r} cannot name a Memento case bank "
                f"namespace: a label is {LABEL_RULE}"
            )
    joined = SEPARATOR.join(namespace)
    if not is_valid_namespace(joined):
        raise _invalid_namespace(
            f"namespace {namespace!r} is too long for a case bank namespace ({NAMESPACE_RULE})"
        )
    return joined


def store_namespace(namespace: str) -> tuple[str, ...] | None:
    """The store tuple of a bank namespace, or None when it has none (a label with a '.')."""
    labels = tuple(namespace.split(SEPARATOR))
    if all(LABEL_PATTERN.fullmatch(label) for label in labels):
        return labels
    return None


def is_template(namespace: NamespaceTemplate) -> bool:
    """Whether the namespace has a `{name}` to fill per run."""
    return any(name is not None for _, name in _parts(_joined(namespace)))


def check_template(template: NamespaceTemplate) -> None:
    """Refuse a template that no run could fill into a valid namespace (its fixed text broken,
    a `{}` without a name, a format spec)."""
    text = _joined(template)
    for literal, name in _parts(text):
        if name is not None and not name.isidentifier():
            raise NamespaceTemplateError(
                f"namespace template {text!r}: '{{{name}}}' must name a value, e.g. {{user_id}}"
            )
        for piece in literal.split(SEPARATOR):
            if piece and not LABEL_PATTERN.fullmatch(piece):
                raise NamespaceTemplateError(
                    f"namespace template {text!r}: {piece!r} is not allowed in a label "
                    f"({LABEL_RULE})"
                )
    fill_template(text, lambda name: "x")  # whole labels, length in bounds


def fill_template(template: NamespaceTemplate, value_of: Callable[[str], str | None]) -> str:
    """The bank namespace of this run: each `{name}` replaced by `value_of(name)`.

    A value that is missing, or that is not a label, raises NamespaceTemplateError naming it:
    a run never falls back to a namespace another user shares.
    """
    text = _joined(template)
    out: list[str] = []
    for literal, name in _parts(text):
        out.append(literal)
        if name is None:
            continue
        value = value_of(name)
        if value is None or value == "":
            raise NamespaceTemplateError(
                f"namespace template {text!r} needs {name!r}: give it in the run's context "
                f"or in config['configurable']",
                missing=name,
            )
        if not isinstance(value, str) or not LABEL_PATTERN.fullmatch(value):
            raise NamespaceTemplateError(
                f"namespace template {text!r}: {name} = {value!r} is not allowed; a value "
                f"is {LABEL_RULE}"
            )
        out.append(value)
    namespace = "".join(out)
    try:
        return bank_namespace(tuple(namespace.split(SEPARATOR)))
    except ValueError as exc:  # bank_namespace's InvalidNamespaceError
        raise NamespaceTemplateError(f"namespace template {text!r}: {exc}") from exc


def _joined(template: NamespaceTemplate) -> str:
    if isinstance(template, tuple):
        if not template:
            raise NamespaceTemplateError("namespace template () has no label")
        return SEPARATOR.join(template)
    return template


def _parts(text: str) -> list[tuple[str, str | None]]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:  # an unmatched brace
        raise NamespaceTemplateError(f"namespace template {text!r}: {exc}") from exc
    parts = []
    for literal, name, spec, conversion in parsed:
        if spec or conversion:
            raise NamespaceTemplateError(
                f"namespace template {text!r}: write plain {{{name}}}, without ':' or '!'"
            )
        parts.append((literal, name))
    return parts


def run_values(context: object, configurable: Mapping[str, Any]) -> Callable[[str], str | None]:
    """Where a run's template values come from: a string field of its context (a dataclass,
    an object or a mapping), else its `config["configurable"]`."""

    def value_of(name: str) -> str | None:
        mapping = isinstance(context, Mapping)
        found = context.get(name) if mapping else getattr(context, name, None)
        if isinstance(found, str):
            return found
        found = configurable.get(name)
        return found if isinstance(found, str) else None

    return value_of


def matches_condition(condition: Any, namespace: tuple[str, ...]) -> bool:
    """LangGraph's prefix / suffix match (a `MatchCondition`), '*' matching any one label."""
    path = tuple(condition.path)
    if not path:
        return True
    if len(namespace) < len(path):
        return False
    part = namespace[: len(path)] if condition.match_type == "prefix" else namespace[-len(path) :]
    return all(want in ("*", got) for want, got in zip(path, part, strict=True))
