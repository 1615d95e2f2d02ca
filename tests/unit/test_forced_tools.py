"""A forced tool call asked as JSON-schema output, and handed back as an OpenAI tool call."""

from __future__ import annotations

import json
from typing import Any

from memento.forced_tools import (
    as_event_stream,
    as_schema_request,
    as_tool_call_response,
    forced_tool,
)

CALCULATE = {
    "name": "calculate",
    "description": "Evaluate an arithmetic expression.",
    "parameters": {
        "type": "object",
        "properties": {"expression": {"type": "string"}},
        "required": ["expression"],
    },
}
SEARCH = {"name": "search", "parameters": {"type": "object", "properties": {}}}


def request(choice: Any, *functions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    tools = [{"type": "function", "function": f} for f in functions]
    messages = [{"role": "user", "content": "What is 17 * 23 + 4?"}]
    return {"messages": messages, "tools": tools, "tool_choice": choice, **extra}


def named(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def test_a_named_choice_forces_that_function() -> None:
    assert forced_tool(request(named("search"), CALCULATE, SEARCH)) == SEARCH
    assert forced_tool(request(named("missing"), CALCULATE, SEARCH)) is None


def test_required_forces_only_a_single_tool_and_auto_never() -> None:
    assert forced_tool(request("required", CALCULATE)) == CALCULATE
    assert forced_tool(request("required", CALCULATE, SEARCH)) is None
    assert forced_tool(request("auto", CALCULATE)) is None
    assert forced_tool({"messages": []}) is None


def test_the_schema_request_asks_for_the_arguments_and_drops_tools_and_streaming() -> None:
    payload = request(named("calculate"), CALCULATE, SEARCH, stream=True, max_tokens=48)
    payload["stream_options"] = {"include_usage": True}
    out = as_schema_request(payload, CALCULATE)
    assert not {"tools", "tool_choice", "stream", "stream_options"} & out.keys()
    assert out["max_tokens"] == 48
    schema = out["response_format"]["json_schema"]
    assert out["response_format"]["type"] == "json_schema"
    assert schema == {"name": "calculate", "schema": CALCULATE["parameters"]}
    system = out["messages"][0]
    assert system["role"] == "system" and "`calculate`" in system["content"]
    assert "Evaluate an arithmetic expression." in system["content"]
    assert out["messages"][1:] == payload["messages"]


def test_the_hint_joins_an_existing_system_message() -> None:
    payload = request(named("search"), SEARCH)
    payload["messages"].insert(0, {"role": "system", "content": "You are terse."})
    messages = as_schema_request(payload, SEARCH)["messages"]
    assert len(messages) == 2
    assert messages[0]["content"].startswith("You are terse.\n\nCall the function `search`")


def test_the_reply_becomes_a_call_of_the_forced_function() -> None:
    reply = {
        "id": "x",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": '{"expression": "17 * 23 + 4"}'},
            }
        ],
        "usage": {"completion_tokens": 9},
    }
    out = as_tool_call_response(reply, "calculate")
    choice = out["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "calculate", "arguments": '{"expression": "17 * 23 + 4"}'}
    assert out["usage"] == reply["usage"]


def test_a_reply_cut_short_keeps_its_length_finish() -> None:
    reply = {"choices": [{"finish_reason": "length", "message": {"content": '{"expr'}}]}
    assert as_tool_call_response(reply, "calculate")["choices"][0]["finish_reason"] == "length"


def test_the_event_stream_carries_the_call_and_ends_with_done() -> None:
    reply = as_tool_call_response(
        {"id": "c1", "choices": [{"index": 0, "message": {"content": "{}"}}]}, "search"
    )
    text = as_event_stream(reply).decode()
    events = [line.removeprefix("data: ") for line in text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    first, last = json.loads(events[0]), json.loads(events[1])
    delta = first["choices"][0]["delta"]
    assert first["object"] == "chat.completion.chunk" and first["id"] == "c1"
    assert delta["tool_calls"][0]["index"] == 0
    assert delta["tool_calls"][0]["function"] == {"name": "search", "arguments": "{}"}
    assert last["choices"][0]["finish_reason"] == "tool_calls"
