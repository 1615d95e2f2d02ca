"""The executor's bounded tool-calling loop for one plan step.

A step that names a known tool gets that tool forced on its first call (small models make no
call with tool_choice="auto"). A server that cannot decode a reply with tools bound (a grammar
error of llama.cpp's constrained decoding) is asked once more without tools: its plain reply
is the step's result, and a progress event says so. The loop stops after
`max_tool_calls_per_step` calls and asks for the step's result without tools, so an empty or
looping reply can never run forever.
Tool failures, timeouts and unknown tool names come back to the model as error tool messages;
an MCP server that crashes again after its restart fails the task instead (ToolServerCrashedError).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import ToolCall, tool_call
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from memory.bank.redaction import redact_text, secrets_in
from nodes import prompts
from nodes.models import (
    ConstrainedDecodingError,
    call_model,
    constraint_dropped,
    message_text,
    truncate,
)
from nodes.schemas import PlanStep, StepResult, ToolCallRecord
from tools.errors import ToolServerCrashedError, ToolSessionLoopError

if TYPE_CHECKING:
    from nodes.context import MementoContext

EventWriter = Callable[[Any], None]


async def call_tool(
    tools: Mapping[str, BaseTool], call: ToolCall, *, ctx: MementoContext
) -> tuple[ToolCallRecord, ToolMessage]:
    """Run one tool call; a tool's failure becomes an error result for the model.

    Only a server that crashed twice (ToolServerCrashedError) or a session used from another
    event loop (ToolSessionLoopError) escapes: the task fails.
    """
    name, args = call["name"], call.get("args") or {}
    started = time.perf_counter()
    error = True
    tool = tools.get(name)
    if "__invalid__" in args:
        content = (
            f"the arguments of your call to {name!r} are not valid JSON: {args['__invalid__']}"
        )
    elif tool is None:
        content = f"unknown tool {name!r}; available: {', '.join(sorted(tools)) or 'none'}"
    else:
        try:
            reply = await asyncio.wait_for(tool.ainvoke(call), timeout=ctx.tool_timeout_s)
            content = message_text(reply) if isinstance(reply, BaseMessage) else str(reply)
            error = getattr(reply, "status", "success") == "error"
        except TimeoutError:
            content = f"tool {name!r} timed out after {ctx.tool_timeout_s:g} s"
        except (ToolServerCrashedError, ToolSessionLoopError):
            raise
        except Exception as exc:  # a tool's failure is information for the model, not a crash
            content = f"tool {name!r} failed: {type(exc).__name__}: {exc}"
    # a tool that echoes the environment never shows the model, a trace or the bank a key
    content = truncate(redact_text(content, secrets_in()), ctx.max_result_chars)
    record = ToolCallRecord(
        name=name,
        args=dict(args),
        result=content,
        error=error,
        seconds=round(time.perf_counter() - started, 4),
    )
    status = "error" if error else "success"
    message = ToolMessage(content=content, tool_call_id=call.get("id") or name, status=status)
    return record, message


async def run_step(
    model: BaseChatModel,
    tools: Mapping[str, BaseTool],
    step: PlanStep,
    *,
    task: str,
    previous: str,
    cycle: int,
    ctx: MementoContext,
    write_event: EventWriter,
) -> StepResult:
    """Carry out one plan step with the executor model and tools; returns its result.

    The whole step (model and tool calls) is bounded by `step_timeout_s`: a step that runs out
    keeps the tool calls it made and tells the planner, as a tool error would.
    """
    records: list[ToolCallRecord] = []
    try:
        async with asyncio.timeout(ctx.step_timeout_s):
            return await _step_loop(
                model, tools, step, task, previous, cycle, ctx, write_event, records
            )
    except TimeoutError:
        return StepResult(
            cycle=cycle,
            description=step.description,
            tool=step.tool,
            tool_calls=records,
            error=f"the step ran out of time after {ctx.step_timeout_s:g} s "
            "(context field step_timeout_s)",
        )


async def _step_loop(
    model: BaseChatModel,
    tools: Mapping[str, BaseTool],
    step: PlanStep,
    task: str,
    previous: str,
    cycle: int,
    ctx: MementoContext,
    write_event: EventWriter,
    records: list[ToolCallRecord],
) -> StepResult:
    """The executor's calls for one step; each finished tool call is added to `records`."""
    messages: list[BaseMessage] = [
        SystemMessage(prompts.EXECUTOR_SYSTEM.format(task=task)),
        HumanMessage(prompts.EXECUTOR_STEP.format(step=step.description, previous=previous)),
    ]
    forced = step.tool if step.tool in tools else None
    while True:
        budget = ctx.max_tool_calls_per_step - len(records)
        if tools and budget > 0:
            choice = forced if forced and not records else "auto"
            runnable = model.bind_tools(list(tools.values()), tool_choice=choice)
        else:
            runnable = model
            if records:
                messages.append(HumanMessage(prompts.EXECUTOR_WRAP_UP))
        reply, with_tools = await _reply(model, runnable, messages, ctx, cycle, write_event)
        calls = requested_calls(reply) if with_tools else []
        messages.append(_as_acted_on(reply, calls))
        if not calls:
            return _step_result(step, cycle, message_text(reply), records, ctx)
        for call in calls[:budget]:
            record, tool_message = await call_tool(tools, call, ctx=ctx)
            summary = record.model_dump(include={"name", "args", "error"})
            write_event({"event": "tool_call", **summary})
            records.append(record)
            messages.append(tool_message)
        for call in calls[budget:]:
            messages.append(
                ToolMessage(content="tool-call budget spent", tool_call_id=call.get("id") or "")
            )


async def _reply(
    model: BaseChatModel,
    runnable: Runnable[Any, Any],
    messages: list[BaseMessage],
    ctx: MementoContext,
    cycle: int,
    write_event: EventWriter,
) -> tuple[BaseMessage, bool]:
    """The executor's reply, and whether it was asked with tools bound. A server that cannot
    decode a reply with tools bound is asked once more without them (no constraint left)."""
    try:
        reply = await call_model(runnable, messages, ctx=ctx, role="executor", cycle=cycle)
        return reply, runnable is not model
    except ConstrainedDecodingError as exc:
        if runnable is model:
            raise
        write_event(constraint_dropped("executor", exc))
    return await call_model(model, messages, ctx=ctx, role="executor", cycle=cycle), False


def repair_arguments(text: str | None) -> dict[str, Any] | None:
    """Arguments of a call whose JSON was cut short (small models drop the closing quote or
    brace); None when no simple completion makes it a JSON object."""
    text = (text or "").strip()
    for ending in ("", "}", '"}', '"]}'):
        candidate = text.rstrip("}").rstrip() + ending if ending else text
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def requested_calls(reply: BaseMessage) -> list[ToolCall]:
    """The reply's tool calls, with malformed ones repaired where possible.

    A call that cannot be repaired is kept with its raw text under `__invalid__`, so that the
    model is told what was wrong instead of the call silently vanishing.
    """
    calls: list[ToolCall] = list(getattr(reply, "tool_calls", None) or [])
    for number, invalid in enumerate(getattr(reply, "invalid_tool_calls", None) or []):
        args = repair_arguments(invalid.get("args"))
        calls.append(
            tool_call(
                name=invalid.get("name") or "",
                args=args if args is not None else {"__invalid__": invalid.get("args") or ""},
                id=invalid.get("id") or f"invalid_{number}",
            )
        )
    return calls


def _as_acted_on(reply: BaseMessage, calls: list[ToolCall]) -> BaseMessage:
    """The reply as it goes back into the conversation: with the calls that were acted on.

    A reply with malformed calls is rewritten with their repaired (or marked) form, since a
    server rejects a conversation whose assistant message holds arguments that are not JSON.
    Empty text beside tool calls becomes one space: langchain-openai sends empty text as null,
    which OpenAI accepts and llama.cpp's Python server rejects (HTTP 500).
    """
    if not calls or (reply.content and not getattr(reply, "invalid_tool_calls", None)):
        return reply
    return AIMessage(content=reply.content or " ", tool_calls=calls, id=reply.id)


def _step_result(
    step: PlanStep, cycle: int, text: str, records: list[ToolCallRecord], ctx: MementoContext
) -> StepResult:
    """The step's result; an empty reply falls back to the last tool result."""
    output = text.strip() or (records[-1].result if records else "")
    return StepResult(
        cycle=cycle,
        description=step.description,
        tool=step.tool,
        output=truncate(output, ctx.max_result_chars),
        tool_calls=records,
        error=None if output else "the executor gave no output",
    )
