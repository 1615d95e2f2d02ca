"""execute: run each step of the current plan with the executor model and MCP tools."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime

from nodes.deps import MementoDeps, Node
from nodes.schemas import StepResult, describe_results
from nodes.tool_calling import run_step

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State


def make_execute(deps: MementoDeps) -> Node:
    """The execute node, bound to the executor model factory and the tools."""
    tools = {tool.name: tool for tool in deps.tools}

    async def execute(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        if state.plan is None:
            raise ValueError("execute was reached without a plan")
        model = deps.chat_model(ctx, "executor")
        results: list[StepResult] = []
        for step in state.plan.steps:
            runtime.stream_writer({"event": "step", "cycle": state.cycle, "step": step.description})
            result = await run_step(
                model,
                tools,
                step,
                task=state.task,
                previous=describe_results([*state.step_results, *results]) or "(none)",
                cycle=state.cycle,
                ctx=ctx,
                write_event=runtime.stream_writer,
            )
            results.append(result)
        progress = describe_results([*state.step_results, *results])
        return {"step_results": results, "cycle_states": [f"{state.task}\n{progress}"]}

    return execute
