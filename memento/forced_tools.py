"""Forced tool calls for a llama.cpp server that ignores a named `tool_choice`.

llama.cpp's server reads `tool_choice` as a string only: the object form that forces one
function (`{"type": "function", "function": {"name": ...}}`, what LangChain sends for
`bind_tools(tool_choice=NAME)` and `with_structured_output(method="function_calling")`) is
served as "auto" (llama.cpp issue #26535), and a tiny model then answers in prose. Its
`json_schema` output, though, is grammar-constrained. So the embedded server
(`memento.llama_server`) asks a forced call as JSON-schema output of that tool's parameters and
hands the result back as an ordinary OpenAI tool call: clients see the standard API, unchanged.

Pure functions over OpenAI chat-completion payloads (dicts); no I/O.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

FORCED_CALL_HINT = (
    "Call the function `{name}`{description}. Reply with its arguments only: one JSON object."
)
"""Told to the model, which no longer sees the tool list when its call is forced."""


def forced_tool(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The function a request forces (OpenAI's `function` object), or None if none is forced.

    Forced means a named `tool_choice`, or "required" with exactly one tool offered.
    """
    tools = [t.get("function") for t in payload.get("tools") or [] if isinstance(t, dict)]
    tools = [t for t in tools if isinstance(t, dict) and t.get("name")]
    choice = payload.get("tool_choice")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        return next((t for t in tools if t["name"] == name), None)
    if choice == "required" and len(tools) == 1:
        return tools[0]
    return None


def as_schema_request(payload: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """The request with the forced call asked as `json_schema` output, never streamed."""
    request = {
        key: value
        for key, value in payload.items()
        if key not in ("tools", "tool_choice", "parallel_tool_calls", "stream", "stream_options")
    }
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    request["response_format"] = {
        "type": "json_schema",
        "json_schema": {"name": function["name"], "schema": schema},
    }
    description = function.get("description")
    hint = FORCED_CALL_HINT.format(
        name=function["name"], description=f" ({description.strip()})" if description else ""
    )
    request["messages"] = _with_system_hint(list(payload.get("messages") or []), hint)
    return request


def _with_system_hint(messages: list[dict[str, Any]], hint: str) -> list[dict[str, Any]]:
    if messages and messages[0].get("role") == "system":
        first = messages[0]
        content = first.get("content")
        text = content if isinstance(content, str) else _text_of(content)
        return [{**first, "content": f"{text}\n\n{hint}" if text else hint}, *messages[1:]]
    return [{"role": "system", "content": hint}, *messages]


def _text_of(content: Any) -> str:
    """The text of a list-of-parts message content."""
    if not isinstance(content, list):
        return "" if content is None else str(content)
    return "".join(p.get("text", "") for p in content if isinstance(p, dict))


def as_tool_call_response(reply: dict[str, Any], name: str) -> dict[str, Any]:
    """A chat completion whose content holds the arguments, as a completion that calls `name`."""
    choices = reply.get("choices") or []
    if not choices:
        return reply
    choice = choices[0]
    message = choice.get("message") or {}
    call = {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": message.get("content") or "{}"},
    }
    tool_message = {"role": "assistant", "content": None, "tool_calls": [call]}
    # "length" stays: the client should know the arguments may be cut short.
    finish = "length" if choice.get("finish_reason") == "length" else "tool_calls"
    new_choice = {**choice, "message": tool_message, "finish_reason": finish}
    return {**reply, "choices": [new_choice, *choices[1:]]}


def as_event_stream(response: dict[str, Any]) -> bytes:
    """A finished chat completion as the server-sent events of a streamed one."""
    base = {
        "id": response.get("id", f"chatcmpl-{uuid.uuid4().hex}"),
        "object": "chat.completion.chunk",
        "created": response.get("created", int(time.time())),
        "model": response.get("model", ""),
    }
    events = []
    for choice in response.get("choices") or []:
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        if message.get("tool_calls"):
            delta["tool_calls"] = [
                {"index": i, **call} for i, call in enumerate(message["tool_calls"])
            ]
        index = choice.get("index", 0)
        events.append({**base, "choices": [{"index": index, "delta": delta}]})
        finish = {"index": index, "delta": {}, "finish_reason": choice.get("finish_reason")}
        events.append({**base, "choices": [finish]})
    if response.get("usage"):
        events.append({**base, "choices": [], "usage": response["usage"]})
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    return ("".join(lines) + "data: [DONE]\n\n").encode()
