"""The Memento StateGraph: state and context schemas, and `build_graph()`.

Names are imported on first use (PEP 562), so that importing one module of this package
does not import all the others (`memento --help` and `memento cases list` stay quick).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from graphs.graph import build_graph, route_after_plan
    from nodes.context import MementoContext
    from nodes.state import InputState, Output, State

_HOMES = {
    "InputState": "nodes.state",
    "MementoContext": "nodes.context",
    "Output": "nodes.state",
    "State": "nodes.state",
    "build_graph": "graphs.graph",
    "route_after_plan": "graphs.graph",
}

__all__ = [
    "InputState",
    "MementoContext",
    "Output",
    "State",
    "build_graph",
    "route_after_plan",
]

__getattr__ = lazy_exports(__name__, _HOMES)
