"""plan: the planner sees the task and the retrieved cases and returns steps or a final answer.

On a later cycle it also sees the step results. Once max_cycles plans have run it must answer.
A reply that cannot be parsed even by the JSON fallback ends the task as a recorded failure.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from memory.bank.limits import SHOWN_PLAN_STEPS, shown
from memory.bank.provenance import is_verified
from nodes import prompts
from nodes.deps import MementoDeps, Node
from nodes.models import ConstrainedDecodingError, Notice, constraint_dropped
from nodes.plan_parsing import request_final_answer, request_plan
from nodes.schemas import RetrievedCase, ShownMemory, describe_results

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State


def make_plan(deps: MementoDeps) -> Node:
    """The plan node, bound to the planner model factory and the tools' descriptions."""

    async def plan(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        cycle = state.cycle + 1
        model = deps.chat_model(ctx, "planner")
        messages = planner_messages(state, ctx, deps)

        def notice(error: ConstrainedDecodingError) -> None:
            runtime.stream_writer(constraint_dropped("planner", error))

        def answered(answer: str, update: dict[str, Any] | None = None) -> dict[str, Any]:
            runtime.stream_writer(plan_event(cycle, [], answer))
            return {**(update or {}), "final_answer": answer}

        if state.cycle >= ctx.max_cycles:
            return answered(await _forced_answer(model, messages, state, ctx, cycle, notice))
        tool_names = [t.name for t in deps.tools]
        result = await request_plan(
            model, messages, ctx=ctx, cycle=cycle, tool_names=tool_names, notice=notice
        )
        if result.plan is None:
            runtime.stream_writer({"event": "plan_failed", "error": result.error})
            return {"error": f"the planner's reply could not be parsed: {result.error}"}
        new_plan = result.plan
        if new_plan.final_answer and new_plan.final_answer.strip():
            return answered(new_plan.final_answer, {"plan": new_plan, "plans": [new_plan]})
        if not new_plan.steps:
            return answered(await _forced_answer(model, messages, state, ctx, cycle, notice))
        steps = [step.description for step in new_plan.steps]
        runtime.stream_writer(plan_event(cycle, steps, None))
        return {"plan": new_plan, "plans": [new_plan], "cycle": cycle}

    return plan


def plan_event(cycle: int, steps: list[str], final_answer: str | None) -> dict[str, Any]:
    """The `plan` progress event: every plan node run writes one, whether the planner gave
    steps or answered directly (then `steps` is empty and `final_answer` is set)."""
    return {"event": "plan", "cycle": cycle, "steps": steps, "final_answer": final_answer}


async def _forced_answer(
    model: Any,
    messages: list[BaseMessage],
    state: State,
    ctx: MementoContext,
    cycle: int,
    notice: Notice,
) -> str:
    """The planner's final answer; if it gives none, the last step's output stands in."""
    final = [*messages, HumanMessage(prompts.PLANNER_FINAL)]
    answer = await request_final_answer(model, final, ctx=ctx, cycle=cycle, notice=notice)
    if answer:
        return answer
    return state.step_results[-1].output if state.step_results else ""


def planner_messages(state: State, ctx: MementoContext, deps: MementoDeps) -> list[BaseMessage]:
    """System prompt with tools and cases, the task, and the progress of earlier cycles."""
    tools = "\n".join(f"- {t.name}: {t.description.splitlines()[0]}" for t in deps.tools)
    system = prompts.PLANNER_SYSTEM.format(
        tools=tools or "(none: the executor can only reason)",
        cases=format_cases(state.retrieved),
    )
    if state.memories:
        system += prompts.MEMORIES_SECTION.format(memories=format_memories(state.memories))
    messages: list[BaseMessage] = [
        SystemMessage(system),
        HumanMessage(prompts.PLANNER_TASK.format(task=state.task)),
    ]
    if state.step_results:
        progress = prompts.PLANNER_PROGRESS.format(
            results=describe_results(state.step_results),
            cycle=state.cycle + 1,
            max_cycles=ctx.max_cycles,
        )
        messages.append(HumanMessage(progress))
    return messages


def format_cases(cases: list[RetrievedCase]) -> str:
    """Retrieved cases as the planner reads them: verified successes and failures (the paper's
    split), then unverified cases apart, every text cut short and all of it marked as data
    (`memory.bank.provenance` says why)."""

    def lines(group: list[RetrievedCase], *, outcome: bool = False) -> str:
        if not group:
            return prompts.NO_CASES
        return "\n".join(_case_lines(c, outcome=outcome) for c in group)

    verified = [c for c in cases if is_verified(c.provenance)]
    unverified = [c for c in cases if not is_verified(c.provenance)]
    parts = [
        prompts.CASES_PREAMBLE,
        f"{prompts.CASES_SUCCESS_HEADER}\n{lines([c for c in verified if c.reward >= 0.5])}",
        f"{prompts.CASES_FAILURE_HEADER}\n{lines([c for c in verified if c.reward < 0.5])}",
    ]
    if unverified:
        parts.append(f"{prompts.CASES_UNVERIFIED_HEADER}\n{lines(unverified, outcome=True)}")
    return "\n".join(parts)


def format_memories(memories: list[ShownMemory]) -> str:
    """General memories as the planner reads them: key and value as JSON, each cut short."""
    return "\n".join(
        f"- {shown(m.key)}: {shown(json.dumps(m.value, ensure_ascii=False))}" for m in memories
    )


def _case_lines(case: RetrievedCase, *, outcome: bool) -> str:
    steps = [shown(step) for step in case.plan[:SHOWN_PLAN_STEPS]]
    text = (
        f"- Q: {shown(case.question)}\n  plan: {'; '.join(steps) or '(answered directly)'}\n"
        f"  answer: {shown(case.answer)}"
    )
    if outcome:
        judged = "succeeded" if case.reward >= 0.5 else "failed"
        text += f"\n  outcome: {judged} by its own account ({case.provenance.replace('_', '-')})"
    return text
