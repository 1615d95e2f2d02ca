"""The local server's front, between ChatOpenAI and a stand-in for llama.cpp's server.

The stand-in behaves like llama.cpp: it honours `response_format` and ignores a named
`tool_choice`. Through the front, LangChain's forced tool calls and structured output work.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from memento.llama_server import ForwardingHandler

pytestmark = pytest.mark.integration


class Upstream(BaseHTTPRequestHandler):
    """Answers JSON `{"expression": "17 * 23 + 4"}` to a json_schema request, else plain text."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        self._reply({"object": "list", "data": [{"id": "stub-model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Upstream.seen.append(body)
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}}], "object": "x"}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
            return
        forced = (body.get("response_format") or {}).get("type") == "json_schema"
        content = '{"expression": "17 * 23 + 4"}' if forced else "plain text"
        message = {"role": "assistant", "content": content}
        self._reply(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "stub-model",
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            }
        )

    def _reply(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(server: ThreadingHTTPServer) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


@pytest.fixture
def front() -> Iterator[str]:
    Upstream.seen = []
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    handler = type("Handler", (ForwardingHandler,), {"upstream": upstream.server_address[:2]})
    front = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serve(upstream)
    serve(front)
    yield f"http://127.0.0.1:{front.server_address[1]}/v1"
    for server in (front, upstream):
        server.shutdown()
        server.server_close()


@tool
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression."""
    return expression


@tool
def search(query: str) -> str:
    """Search the documents."""
    return query


class Calculation(BaseModel):
    """An arithmetic expression to evaluate."""

    expression: str


def chat(base_url: str, **options: Any) -> ChatOpenAI:
    return ChatOpenAI(base_url=base_url, api_key="none", model="stub-model", **options)  # type: ignore[arg-type]


def test_a_forced_tool_choice_comes_back_as_a_call_of_that_tool(front: str) -> None:
    reply = chat(front).bind_tools([search, calculate], tool_choice="calculate").invoke("17*23+4?")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("calculate", {"expression": "17 * 23 + 4"})
    ]
    sent = Upstream.seen[-1]
    assert "tools" not in sent and "tool_choice" not in sent
    assert sent["response_format"]["json_schema"]["name"] == "calculate"


def test_a_streamed_forced_call_is_a_call_too(front: str) -> None:
    model = chat(front, streaming=True).bind_tools([calculate], tool_choice="calculate")
    reply = model.invoke("17*23+4?")
    assert [c["name"] for c in reply.tool_calls] == ["calculate"]
    assert reply.tool_calls[0]["args"] == {"expression": "17 * 23 + 4"}


def test_structured_output_by_function_calling_parses(front: str) -> None:
    model = chat(front).with_structured_output(Calculation, method="function_calling")
    assert model.invoke("17*23+4?") == Calculation(expression="17 * 23 + 4")


def test_other_requests_pass_through_unchanged(front: str) -> None:
    reply = chat(front).bind_tools([calculate], tool_choice="auto").invoke("hello")
    assert reply.content == "plain text" and not reply.tool_calls
    assert Upstream.seen[-1]["tool_choice"] == "auto"
    assert chat(front, streaming=True).invoke("hello").content == "hi"
    with urllib.request.urlopen(f"{front}/models", timeout=5) as response:
        assert json.loads(response.read())["data"][0]["id"] == "stub-model"
