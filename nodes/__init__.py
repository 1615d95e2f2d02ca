"""The loop's nodes, one module each: retrieve, plan, execute, judge, write_case, update_q.

Each `make_<node>(deps)` returns an async LangGraph node bound to the live resources in
`MementoDeps`; per-run settings come from `runtime.context`. Nodes know nothing of each other.

Names are imported on first use (PEP 562), so that importing one module of this package
does not import all the others (`memento --help` and `memento cases list` stay quick).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from nodes.deps import MementoDeps
    from nodes.execute import make_execute
    from nodes.judge import make_judge
    from nodes.models import (
        ChatModelFactory,
        ModelCallError,
        ModelEndpointError,
        chat_model_from_context,
    )
    from nodes.node_runnable import graph_node
    from nodes.output_redaction import redacted
    from nodes.plan import make_plan
    from nodes.retrieve import make_retrieve
    from nodes.schemas import TaskInputError, checked_task
    from nodes.update_q import make_update_q
    from nodes.write_case import make_write_case

_HOMES = {
    "ChatModelFactory": "nodes.models",
    "MementoDeps": "nodes.deps",
    "ModelCallError": "nodes.models",
    "ModelEndpointError": "nodes.models",
    "TaskInputError": "nodes.schemas",
    "chat_model_from_context": "nodes.models",
    "checked_task": "nodes.schemas",
    "graph_node": "nodes.node_runnable",
    "make_execute": "nodes.execute",
    "make_judge": "nodes.judge",
    "make_plan": "nodes.plan",
    "make_retrieve": "nodes.retrieve",
    "make_update_q": "nodes.update_q",
    "make_write_case": "nodes.write_case",
    "redacted": "nodes.output_redaction",
}


__all__ = [
    "ChatModelFactory",
    "MementoDeps",
    "ModelCallError",
    "ModelEndpointError",
    "TaskInputError",
    "chat_model_from_context",
    "checked_task",
    "graph_node",
    "make_execute",
    "make_judge",
    "make_plan",
    "make_retrieve",
    "make_update_q",
    "make_write_case",
    "redacted",
]

__getattr__ = lazy_exports(__name__, _HOMES)
