"""judge: turn the outcome into a reward in [0, 1], or None (unjudged) when judging fails.

With a ground truth the reward is measured (exact, numeric, token F1, or an LLM judge for
partial matches); without one, the judge model gives a label-free self-judgement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from nodes import prompts
from nodes.deps import MementoDeps, Node
from nodes.models import (
    ConstrainedDecodingError,
    ModelEndpointError,
    Notice,
    call_model,
    constraint_dropped,
    extract_json_object,
    ignore_notice,
    message_text,
)
from nodes.schemas import Judgement, describe_results
from nodes.scorers import measured_judgement

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State


class Verdict(BaseModel):
    """The judge model's decision."""

    correct: bool = Field(description="Whether the answer is correct.")
    rationale: str = Field(default="", description="One sentence saying why.")


def make_judge(deps: MementoDeps) -> Node:
    """The judge node, bound to the judge model factory."""

    async def judge(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        answer = (state.final_answer or "").strip()
        truth = (state.truth or "").strip()
        judgement = measured_judgement(answer, truth, ctx.scorer, error=state.error)
        if judgement is None:
            prompt, method = judge_prompt(
                state.task, answer, truth, describe_results(state.step_results)
            )
            judgement = await llm_judgement(
                deps,
                ctx,
                prompt,
                method,
                cycle=state.cycle,
                notice=lambda e: runtime.stream_writer(constraint_dropped("judge", e)),
            )
        runtime.stream_writer({"event": "reward", **judgement.model_dump()})
        return {"judgement": judgement}

    return judge


def judge_prompt(task: str, answer: str, truth: str, results: str) -> tuple[str, str]:
    """(prompt, method): against the ground truth ('llm'), or a self-judgement ('self')."""
    if truth:
        return prompts.JUDGE_WITH_TRUTH.format(task=task, truth=truth, answer=answer), "llm"
    return prompts.JUDGE_SELF.format(task=task, results=results, answer=answer), "self"


async def llm_judgement(
    deps: MementoDeps,
    ctx: MementoContext,
    prompt: str,
    method: str,
    *,
    cycle: int,
    notice: Notice = ignore_notice,
) -> Judgement:
    """Ask the judge model. A judge that cannot work as configured (unreachable endpoint,
    unknown model, refused key: `ModelEndpointError`) fails the task loudly, as the planner
    would; a transient failure (rate limit, server error or timeout after the retries, a reply
    that cannot be parsed) gives an unjudged result instead of a wrong reward."""
    model = deps.chat_model(ctx, "judge")
    try:
        verdict = await _ask_verdict(model, prompt, ctx=ctx, cycle=cycle, notice=notice)
    except ModelEndpointError:
        raise
    except Exception as exc:  # judging failed for now: unjudged, nothing is learned from it
        return Judgement(reward=None, method=method, rationale=f"unjudged: {exc}")
    return verdict_judgement(verdict, method)


async def _ask_verdict(
    model: BaseChatModel, prompt: str, *, ctx: MementoContext, cycle: int, notice: Notice
) -> Any:
    """The judge's `Verdict` as structured output; where the server cannot decode under the
    schema, asked once more in plain text and read from the reply (`verdict_from_text`)."""
    chain = model.with_structured_output(Verdict, method="function_calling")
    try:
        return await call_model(chain, [HumanMessage(prompt)], ctx=ctx, role="judge", cycle=cycle)
    except ConstrainedDecodingError as exc:
        notice(exc)
    plain = [HumanMessage(prompt + prompts.JUDGE_JSON_FALLBACK)]
    reply = await call_model(model, plain, ctx=ctx, role="judge", cycle=cycle)
    text = message_text(reply)
    return verdict_from_text(text) or text


def verdict_from_text(text: str) -> Verdict | None:
    """A verdict from a plain reply: its JSON object, else a first word that says it (yes,
    correct, true / no, incorrect, false); None when the reply says neither."""
    data = extract_json_object(text)
    if data is not None and isinstance(data.get("correct"), bool):
        return Verdict(correct=data["correct"], rationale=str(data.get("rationale") or ""))
    words = text.strip().lower().split()
    first = words[0].strip(".,:;!*\"'") if words else ""
    if first in ("yes", "correct", "true"):
        return Verdict(correct=True, rationale=text.strip()[:300])
    if first in ("no", "incorrect", "false", "wrong"):
        return Verdict(correct=False, rationale=text.strip()[:300])
    return None


def verdict_judgement(verdict: Any, method: str) -> Judgement:
    """The judgement a judge model's structured reply gives; unjudged if it is no Verdict."""
    if not isinstance(verdict, Verdict):
        reason = f"the judge's reply could not be parsed: {verdict!r}"
        return Judgement(reward=None, method=method, rationale=f"unjudged: {reason}")
    return Judgement(reward=float(verdict.correct), method=method, rationale=verdict.rationale)
