"""Wiring only: the Memento loop as a LangGraph StateGraph.

START -> retrieve -> plan -+-> execute -+-> plan             (another cycle: the plan has steps)
                           |             +-> retrieve_cycle -> plan (the same, with gamma > 0)
                           +-> judge -> write_case -> update_q -> END   (final answer, or failure)
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

from nodes import (
    MementoDeps,
    graph_node,
    make_execute,
    make_judge,
    make_plan,
    make_retrieve,
    make_update_q,
    make_write_case,
    redacted,
)
from nodes.context import MementoContext
from nodes.state import InputState, Output, State


def route_after_plan(state: State) -> Literal["execute", "judge"]:
    """To judge once there is a final answer or the plan failed; else run the new plan's steps.

    The plan node itself forces a final answer once max_cycles plans have run, so the replan
    cycle plan -> execute -> plan is bounded and always ends with an answer.
    """
    if state.final_answer is not None or state.error is not None:
        return "judge"
    return "execute"


def route_after_execute(
    state: State, runtime: Runtime[MementoContext]
) -> Literal["retrieve_cycle", "plan"]:
    """With gamma > 0 each cycle is a state of its own that retrieves its own cases (Eq. 8);
    single-step learning (gamma = 0) keeps the first cycle's cases and goes straight to plan.
    """
    return "retrieve_cycle" if runtime.context.gamma > 0 else "plan"


def build_graph(
    deps: MementoDeps, *, checkpointer: Checkpointer = None, name: str = "memento"
) -> CompiledStateGraph:
    """The compiled Memento graph over the given case bank, embedder, tools and models.

    A run returns `Output` (the answer, judgement, written case, cases shown, ...); the
    internals stay in the state. Nodes run sync or async (`nodes.node_runnable`).
    """
    builder = StateGraph(
        State, input_schema=InputState, output_schema=Output, context_schema=MementoContext
    )
    node = partial(graph_node, loop=deps.loop)
    builder.add_node(node("retrieve", redacted(make_retrieve(deps)), starts_task=True))
    builder.add_node(node("retrieve_cycle", redacted(make_retrieve(deps, new_task=False))))
    builder.add_node(node("plan", redacted(make_plan(deps))))
    builder.add_node(node("execute", redacted(make_execute(deps))))
    builder.add_node(node("judge", redacted(make_judge(deps))))
    builder.add_node(node("write_case", redacted(make_write_case(deps))))
    builder.add_node(node("update_q", redacted(make_update_q(deps))))
    builder.add_edge(START, "retrieve")
    builder.add_edge("retrieve", "plan")
    builder.add_edge("retrieve_cycle", "plan")
    builder.add_conditional_edges("plan", route_after_plan)
    builder.add_conditional_edges("execute", route_after_execute)
    builder.add_edge("judge", "write_case")
    builder.add_edge("write_case", "update_q")
    builder.add_edge("update_q", END)
    return builder.compile(checkpointer=checkpointer, name=name)
