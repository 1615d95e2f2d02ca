"""Loopback stand-ins for an OpenAI-compatible endpoint, for tests of what goes over HTTP.

`loopback_endpoint(respond)` serves every POST with `respond(request)`: the test decides the
status, body and content type from the request (its path, JSON body and headers). The helpers
build the replies a chat endpoint gives.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    """One request the endpoint received."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str:
        """The bearer token the client sent (its API key)."""
        return self.headers.get("authorization", "").removeprefix("Bearer ")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Respond = Callable[[Request], Reply]


@contextmanager
def loopback_endpoint(respond: Respond, *, keep_alive: bool = False) -> Iterator[str]:
    """Serve `respond` on a free loopback port; yields the base URL (`.../v1`)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = respond(Request(self.path, headers, body))
            try:
                self.send_response(reply.status)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout under test): nobody to answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def tool_call_reply(tool: str, arguments: dict[str, Any]) -> Reply:
    """A chat completion whose message calls one tool (how structured output arrives)."""
    call = {"id": "c1", "type": "function", "function": {"name": tool}}
    call["function"]["arguments"] = json.dumps(arguments)
    return _completion({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")


def text_reply(text: str) -> Reply:
    """A chat completion whose message is plain text."""
    return _completion({"role": "assistant", "content": text}, "stop")


def _completion(message: dict[str, Any], finish_reason: str) -> Reply:
    choice = {"index": 0, "message": message, "finish_reason": finish_reason}
    completion = {"id": "x", "object": "chat.completion", "created": 0, "model": "m"}
    return Reply(body=json.dumps({**completion, "choices": [choice]}).encode())


def error_reply(status: int, error: dict[str, Any]) -> Reply:
    """An API error as OpenAI-compatible servers send one."""
    return Reply(status=status, body=json.dumps({"error": error}).encode())


@contextmanager
def json_only_endpoint(plan: dict[str, Any]) -> Iterator[str]:
    """An endpoint whose every reply calls the `Plan` tool with `plan`, over HTTP/1.1
    keep-alive, and that ignores `stream=true` as some servers and proxies do: a client that
    asked for a stream gets one plain JSON body."""
    reply = tool_call_reply("Plan", plan)
    with loopback_endpoint(lambda request: reply, keep_alive=True) as url:
        yield url
