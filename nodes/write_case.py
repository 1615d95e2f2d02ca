"""write_case: store the task as a case (question, plan, compact trajectory, answer, reward).

Nothing is written in eval mode (held-out measurement) or when the task is unjudged.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime

from memory import Case
from memory.bank.provenance import provenance_for
from nodes.deps import MementoDeps, Node
from nodes.models import model_name, truncate
from nodes.schemas import StepResult

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State

TRAJECTORY_FIELD_CHARS = 500


def make_write_case(deps: MementoDeps) -> Node:
    """The write_case node, bound to the case bank."""

    async def write_case(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        if ctx.mode == "eval" or state.judgement is None or state.judgement.reward is None:
            return {}
        now = time.time()
        trajectory = [compact_step(r) for r in state.step_results]
        answer = state.final_answer or ""
        case = Case(
            id="",
            namespace=ctx.namespace,
            question=state.task.strip(),
            plan=[s.line for p in state.plans for s in p.steps],
            trajectory=trajectory,
            answer=answer,
            reward=state.judgement.reward,
            judge_rationale=state.judgement.rationale,
            error=state.error,
            models={role: model_name(ctx, role) for role in ("planner", "executor", "judge")},
            run_id=state.run_id,
            created_at=now,
            updated_at=now,
            provenance=provenance_for(
                against_truth=bool((state.truth or "").strip()),
                tool_texts=[answer, *(r.output for r in state.step_results), *_tool_results(state)],
            ),
        )
        stored = await asyncio.to_thread(deps.bank.add, case, state.task_vector)
        runtime.stream_writer({"event": "case_written", "case_id": stored.id})
        return {"case_id": stored.id}

    return write_case


def _tool_results(state: State) -> list[str]:
    return [call.result for result in state.step_results for call in result.tool_calls]


def compact_step(result: StepResult) -> dict[str, Any]:
    """A step result with long texts cut, so cases (and evaluation logs) stay small."""
    return {
        "cycle": result.cycle,
        "step": truncate(result.description, TRAJECTORY_FIELD_CHARS),
        "output": truncate(result.output, TRAJECTORY_FIELD_CHARS),
        "error": result.error,
        "tool_calls": [
            {
                "name": call.name,
                "args": {k: truncate(str(v), TRAJECTORY_FIELD_CHARS) for k, v in call.args.items()},
                "result": truncate(call.result, TRAJECTORY_FIELD_CHARS),
                "error": call.error,
            }
            for call in result.tool_calls
        ],
    }
