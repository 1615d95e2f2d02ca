"""The Memento StateGraph: state and context schemas, and `build_graph()`."""

from graphs.context import MementoContext
from graphs.graph import build_graph, route_after_plan
from graphs.state import InputState, State

__all__ = ["InputState", "MementoContext", "State", "build_graph", "route_after_plan"]
