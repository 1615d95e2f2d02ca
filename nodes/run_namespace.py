"""The namespace a graph run reads and writes: the context's `namespace`, or its
`namespace_template` filled from the run (see `memory.adapters.store_namespaces`).

Resolved once per node call, before the node runs (`nodes.graph_node`), into a copy of the
context whose `namespace` is the run's: every node, the Q estimator and the tracing tags then
read `ctx.namespace` and agree, and no node can fall back to a namespace other users share.
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
