"""The namespace a graph run reads and writes: the context's `namespace`, or its
`namespace_template` filled from the run (see `memory.adapters.store_namespaces`).

Resolved once per node call, before the node runs (`nodes.node_runnable`), into a copy of the
context whose `namespace` is the run's: every node, the Q estimator and the tracing tags then
read `ctx.namespace` and agree, and no node can fall back to a namespace other users share.

A task keeps the namespace it started in (`State.namespace`, set by `retrieve`): a thread
interrupted in one user's run and resumed in another's would otherwise show the first user's
cases to the second and credit them in the second's namespace. Every node after the first
checks it (`check_resumed_namespace`) and refuses the resume; a new task on the thread starts
clean in the new namespace.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from memory.adapters.store_namespaces import fill_template, run_values

ContextT = TypeVar("ContextT")


def run_context(ctx: ContextT, configurable: Mapping[str, Any]) -> ContextT:
    """`ctx` with its namespace template (if any) filled from itself and `configurable`;
    `NamespaceTemplateError` names a value the run lacks or one that is not allowed."""
    template = getattr(ctx, "namespace_template", None)
    if template is None or not dataclasses.is_dataclass(ctx):
        return ctx
    namespace = fill_template(template, run_values(ctx, configurable))
    return dataclasses.replace(ctx, namespace=namespace, namespace_template=None)  # type: ignore[type-var]


class ThreadNamespaceError(ValueError):
    """A thread's unfinished task was resumed under another namespace than it started in."""


def check_resumed_namespace(started: str, now: str) -> None:
    """Refuse to go on with a task that started in namespace `started` under `now`.

    A task checkpointed before the namespace was recorded (`started` empty) is refused too:
    whose it was cannot be told.
    """
    if started == now:
        return
    whose = f"in namespace {started!r}" if started else "before its namespace was recorded"
    raise ThreadNamespaceError(
        f"this thread's unfinished task started {whose}; it is not resumed in {now!r}: "
        "give the task again (a new task on the thread starts clean) or use another thread"
    )
