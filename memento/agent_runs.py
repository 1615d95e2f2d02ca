"""Reading a `create_agent` run: the user's task, the final answer, the tool calls, as a case.

The run of one invocation is everything after the last human message.
"""

from __future__ import annotations

import json
import time
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.messages.tool import ToolCall

from memory import Case
from memory.bank.provenance import provenance_for
from nodes.models import message_text, truncate
from nodes.schemas import Judgement
from nodes.write_case import TRAJECTORY_FIELD_CHARS as _CHARS


def task_of(messages: list[AnyMessage]) -> str:
    """The user's task: the last human message."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message_text(message).strip()
    return ""


def _since_task(messages: list[AnyMessage]) -> list[AnyMessage]:
    """The messages of this run: everything after the last human message."""
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return messages[i + 1 :]
    return list(messages)


def answer_of(messages: list[AnyMessage]) -> str:
    """The agent's final answer: its last AI message without tool calls."""
    for message in reversed(_since_task(messages)):
        if isinstance(message, AIMessage) and not message.tool_calls:
            return message_text(message)
    return ""


def tool_results(messages: list[AnyMessage]) -> str:
    """This run's tool results as numbered lines, for a self-judgement."""
    results = [m for m in _since_task(messages) if isinstance(m, ToolMessage)]
    return "\n".join(
        f"{i}. {m.name or 'tool'} -> {truncate(message_text(m), _CHARS)}"
        for i, m in enumerate(results, start=1)
    )


def case_of(
    messages: list[AnyMessage], task: str, judgement: Judgement, namespace: str, run_id: str
) -> Case:
    """The run as a case: its tool calls are the plan and, with their results, the trajectory."""
    run = _since_task(messages)
    results = {m.tool_call_id: m for m in run if isinstance(m, ToolMessage)}
    turns = [m for m in run if isinstance(m, AIMessage) and m.tool_calls]
    plan = [
        f"call {c['name']} with {truncate(json.dumps(c.get('args') or {}), 200)} [{c['name']}]"
        for turn in turns
        for c in turn.tool_calls
    ]
    trajectory = [
        {
            "cycle": number,
            "step": truncate(message_text(turn) or f"tool calls, turn {number}", _CHARS),
            "output": "",
            "error": None,
            "tool_calls": [
                _call_record(c, results.get(c.get("id") or "")) for c in turn.tool_calls
            ],
        }
        for number, turn in enumerate(turns, start=1)
    ]
    now = time.time()
    return Case(
        id="",
        namespace=namespace,
        question=task,
        plan=plan,
        trajectory=trajectory,
        answer=answer_of(messages).strip(),
        reward=float(judgement.reward or 0.0),
        judge_rationale=judgement.rationale,
        run_id=run_id,
        created_at=now,
        updated_at=now,
        provenance=provenance_for(
            against_truth=judgement.method != "self",
            tool_texts=[str(m.content) for m in run if isinstance(m, ToolMessage | AIMessage)],
        ),
    )


def _call_record(call: ToolCall, reply: ToolMessage | None) -> dict[str, Any]:
    """One tool call and its result, cut like the graph's write_case node cuts them."""
    return {
        "name": call["name"],
        "args": {k: truncate(str(v), _CHARS) for k, v in (call.get("args") or {}).items()},
        "result": truncate(message_text(reply), _CHARS) if reply is not None else "",
        "error": reply is not None and reply.status == "error",
    }
