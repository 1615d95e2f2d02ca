"""Getting a plan out of a planner reply: structured output first, JSON in text as fallback.

`with_structured_output(method="function_calling")` works on OpenAI, vLLM and the embedded
llama.cpp server alike (which forces the function, see `memento.forced_tools`); its schema names
the available tools (`plan_schema`). Small models still answer in prose or malformed JSON, so a
reply's text is searched for a JSON object, and one plain re-ask is made before the plan is
declared unparseable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import Field, ValidationError, create_model

from nodes import prompts
from nodes.models import (
    ConstrainedDecodingError,
    ModelRequestError,
    Notice,
    call_model,
    extract_json_object,
    ignore_notice,
    message_text,
)
from nodes.schemas import FinalAnswer, Plan, PlanStep

if TYPE_CHECKING:
    from nodes.context import MementoContext


@dataclass
class PlanResult:
    """A parsed plan, or the reason none could be parsed."""

    plan: Plan | None
    error: str | None = None


def plan_from_text(text: str) -> Plan | None:
    """A plan from a JSON object in the text, or None."""
    data = extract_json_object(text)
    if data is None:
        return None
    try:
        return Plan.model_validate(data)
    except ValidationError:
        return None


async def _structured(
    model: BaseChatModel,
    schema: type,
    messages: list[BaseMessage],
    ctx: MementoContext,
    cycle: int,
    notice: Notice,
) -> tuple[Any, AIMessage | None, str | None]:
    """(parsed, raw reply, error) of one structured-output call; endpoint errors propagate.

    A server that cannot decode under the schema (`ConstrainedDecodingError`) is told to
    `notice` and reported as an error: the callers then ask without the constraint.
    """
    try:
        chain = model.with_structured_output(schema, method="function_calling", include_raw=True)
    except NotImplementedError:
        return None, None, "the model does not support function calling"
    try:
        out = await call_model(chain, messages, ctx=ctx, role="planner", cycle=cycle)
    except ConstrainedDecodingError as exc:
        notice(exc)
        return None, None, str(exc)
    except (ModelRequestError, ValidationError, ValueError) as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    if not isinstance(out, dict):
        return out, None, None
    error = out.get("parsing_error")
    return out.get("parsed"), out.get("raw"), (str(error) if error else None)


def plan_schema(tool_names: Sequence[str]) -> type[Plan]:
    """`Plan` whose steps may name only these tools (or none).

    The names become an enum in the schema the model is given: an endpoint that constrains
    output to the schema (llama.cpp, OpenAI strict mode) cannot invent a tool, and a small model
    cannot put prose where the executor looks for a tool to force.
    """
    return _plan_schema(tuple(sorted(set(tool_names)))) if tool_names else Plan


@lru_cache(maxsize=32)
def _plan_schema(names: tuple[str, ...]) -> type[Plan]:
    tool = PlanStep.model_fields["tool"]
    step = create_model(
        "PlanStep",
        __base__=PlanStep,
        tool=(Literal[names] | None, Field(default=None, description=tool.description)),  # type: ignore[valid-type]
    )
    steps = Plan.model_fields["steps"]
    return create_model(
        "Plan",
        __base__=Plan,
        steps=(list[step], Field(default_factory=list, description=steps.description)),  # type: ignore[valid-type]
    )


async def request_plan(
    model: BaseChatModel,
    messages: list[BaseMessage],
    *,
    ctx: MementoContext,
    cycle: int,
    tool_names: Sequence[str] = (),
    notice: Notice = ignore_notice,
) -> PlanResult:
    """Ask for a plan; fall back to JSON in the reply, then to one plain JSON-only re-ask (the
    request without a constraint, also where the server could not decode under it).

    With `tool_names`, a step's tool must be one of them (see `plan_schema`).
    """
    schema = plan_schema(tool_names)
    parsed, raw, error = await _structured(model, schema, messages, ctx, cycle, notice)
    if isinstance(parsed, Plan):
        return PlanResult(Plan.model_validate(parsed.model_dump()))
    if raw is not None and (plan := plan_from_text(message_text(raw))):
        return PlanResult(plan)
    fallback = [*messages, HumanMessage(prompts.PLANNER_JSON_FALLBACK)]
    reply = await call_model(model, fallback, ctx=ctx, role="planner", cycle=cycle)
    text = message_text(reply)
    if plan := plan_from_text(text):
        return PlanResult(plan)
    reason = error or "no plan in the structured reply"
    return PlanResult(None, f"{reason}; fallback reply was {text[:200]!r}")


async def request_final_answer(
    model: BaseChatModel,
    messages: list[BaseMessage],
    *,
    ctx: MementoContext,
    cycle: int,
    notice: Notice = ignore_notice,
) -> str | None:
    """The final answer, from structured output or else the reply's text; None if empty."""
    parsed, raw, _ = await _structured(model, FinalAnswer, messages, ctx, cycle, notice)
    if isinstance(parsed, FinalAnswer) and parsed.answer.strip():
        return parsed.answer.strip()
    text = message_text(raw) if raw is not None else ""
    if not text.strip():
        reply = await call_model(model, messages, ctx=ctx, role="planner", cycle=cycle)
        text = message_text(reply)
    data = extract_json_object(text)
    if data is not None:
        text = str(data.get("answer") or data.get("final_answer") or "")
    return text.strip() or None
