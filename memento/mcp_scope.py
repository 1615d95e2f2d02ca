"""Whose memory a `memento mcp` tool call reads and writes: one rule, one function.

Every tool takes an optional `namespace` and an optional `user_id`, and every tool's service
method resolves them with `resolve_scope` before it touches the bank:

- with the context's `namespace_template` set (e.g. `memento:{user_id}`), the namespace is the
  template filled from the call: `{user_id}` from the call's `user_id` only (never from the
  server's own context: a call without its user is refused, not served from a namespace others
  share), any other `{name}` from the server's context. A `namespace` the call names must be
  that same namespace, so no caller reaches another user's memory;
- without a template, the call's `namespace` (checked by the bank's rule,
  `memory.bank.namespaces`), else the context's `namespace`. A `user_id` is refused there:
  it would select nothing, and a caller that sends one expects its memory kept apart.

A retrieval's report is made in the retrieval's own namespace (`Scope.named`: whether the call
chose one, which then must be it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from graphs.settings import ConfigError
from memory.adapters.store_namespaces import NamespaceTemplateError, fill_template, run_values
from memory.bank.namespaces import NAMESPACE_RULE, is_valid_namespace
from nodes.context import MementoContext


class MemoryToolError(ValueError):
    """A call the client can fix from the message alone (shown to it as the tool's error)."""


NamespaceArg = Annotated[
    str | None,
    Field(
        description="Whose memory (a namespace; "
        f"{NAMESPACE_RULE}). Default: the server's. On a server that keeps users apart "
        "(a namespace template) it is the user's own, and may be left out."
    ),
]
UserIdArg = Annotated[
    str | None,
    Field(
        description="The user whose memory this is (letters, digits and _ @ -). Required by a "
        "server that keeps users apart (a namespace template such as 'memento:{user_id}'); "
        "refused by one that does not."
    ),
]


@dataclass(frozen=True)
class Scope:
    """The namespace a call is served from, and whether the call chose it (by its user or by
    name) or was given the server's default."""

    namespace: str
    named: bool


def resolve_scope(ctx: MementoContext, namespace: str | None, user_id: str | None) -> Scope:
    """The namespace of one tool call (module docstring); MemoryToolError says what to fix."""
    template = ctx.namespace_template
    if template is None:
        if user_id is not None:
            raise MemoryToolError(
                "this server keeps no users apart (no namespace_template), so user_id would "
                "select nothing: leave it out, or give namespace (the server's operator can "
                "start it with --namespace-template 'memento:{user_id}')"
            )
        if namespace is None:
            return Scope(ctx.namespace, named=False)
        if not is_valid_namespace(namespace):
            raise MemoryToolError(f"namespace {namespace!r} is not allowed: use {NAMESPACE_RULE}")
        return Scope(namespace, named=True)
    server_values = run_values(ctx, {})

    def value_of(name: str) -> str | None:
        return user_id if name == "user_id" else server_values(name)

    try:
        filled = fill_template(template, value_of)
    except NamespaceTemplateError as exc:
        if exc.missing == "user_id":
            raise MemoryToolError(
                f"this server keeps each user's memory apart (namespace template "
                f"{template!r}): give user_id"
            ) from None
        raise MemoryToolError(str(exc)) from None
    if namespace is not None and namespace != filled:
        raise MemoryToolError(
            f"namespace {namespace!r} is not this user's: on this server a user's namespace is "
            f"{template!r} filled with its user_id ({filled!r}); leave namespace out"
        )
    return Scope(filled, named=True)


def check_serving_template(ctx: MementoContext) -> None:
    """Refuse, before serving, a template no call could fill: one naming a value other than
    `user_id` that the server's context does not hold."""
    if ctx.namespace_template is None:
        return
    try:
        resolve_scope(ctx, None, "x")
    except MemoryToolError as exc:
        raise ConfigError(
            f"{exc}: a call gives only user_id, the server's context the rest"
        ) from None
