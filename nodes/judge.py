"""judge: turn the outcome into a reward in [0, 1], or None (unjudged) when judging fails.

With a ground truth the reward is measured (exact, numeric, token F1, or an LLM judge for
partial matches); without one, the judge model gives a label-free self-judgement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from nodes import prompts
from nodes.deps import MementoDeps, Node
from nodes.models import call_model
from nodes.schemas import Judgement, describe_results
from nodes.scorers import score_answer

if TYPE_CHECKING:
    from graphs.context import MementoContext
    from graphs.state import State


class Verdict(BaseModel):
    """The judge model's decision."""

    correct: bool = Field(description="Whether the answer is correct.")
    rationale: str = Field(default="", description="One sentence saying why.")


def make_judge(deps: MementoDeps) -> Node:
    """The judge node, bound to the judge model factory."""

    async def judge(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        answer = (state.final_answer or "").strip()
        truth = (state.ground_truth or "").strip()
        if not answer:
            reason = state.error or "no final answer"
            judgement = Judgement(reward=0.0, method="no_answer", rationale=reason)
        elif truth and ctx.scorer != "llm":
            reward, method = score_answer(answer, truth, ctx.scorer)
            judgement = Judgement(reward=reward, method=method, rationale=f"expected {truth!r}")
        else:
            prompt = (
                prompts.JUDGE_WITH_TRUTH.format(task=state.task, truth=truth, answer=answer)
                if truth
                else prompts.JUDGE_SELF.format(
                    task=state.task, results=describe_results(state.step_results), answer=answer
                )
            )
            judgement = await llm_judgement(deps, ctx, prompt, "llm" if truth else "self")
        runtime.stream_writer({"event": "reward", **judgement.model_dump()})
        return {"judgement": judgement}

    return judge


async def llm_judgement(
    deps: MementoDeps, ctx: MementoContext, prompt: str, method: str
) -> Judgement:
    """Ask the judge model; any failure gives an unjudged result instead of a wrong reward."""
    try:
        model = deps.chat_model(ctx, "judge")
        chain = model.with_structured_output(Verdict, method="function_calling")
        verdict = await call_model(chain, [HumanMessage(prompt)], ctx=ctx, role="judge")
        if not isinstance(verdict, Verdict):
            raise ValueError(f"the judge's reply could not be parsed: {verdict!r}")
    except Exception as exc:  # judging failed: record it as unjudged, learn nothing from it
        return Judgement(reward=None, method=method, rationale=f"unjudged: {exc}")
    return Judgement(reward=float(verdict.correct), method=method, rationale=verdict.rationale)
