"""The loop's nodes, one module each: retrieve, plan, execute, judge, write_case, update_q.

Each `make_<node>(deps)` returns an async LangGraph node bound to the live resources in
`MementoDeps`; per-run settings come from `runtime.context`. Nodes know nothing of each other.
"""

from nodes.deps import MementoDeps
from nodes.execute import make_execute
from nodes.judge import make_judge
from nodes.models import (
    ChatModelFactory,
    ModelCallError,
    ModelEndpointError,
    chat_model_from_context,
)
from nodes.plan import make_plan
from nodes.redacted import redacted
from nodes.retrieve import make_retrieve
from nodes.schemas import TaskInputError, checked_task
from nodes.update_q import make_update_q
from nodes.write_case import make_write_case

__all__ = [
    "ChatModelFactory",
    "MementoDeps",
    "ModelCallError",
    "ModelEndpointError",
    "TaskInputError",
    "chat_model_from_context",
    "checked_task",
    "make_execute",
    "make_judge",
    "make_plan",
    "make_retrieve",
    "make_update_q",
    "make_write_case",
    "redacted",
]
