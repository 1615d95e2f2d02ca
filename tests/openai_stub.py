"""A loopback OpenAI-compatible endpoint that always answers with one JSON chat completion.

It speaks HTTP/1.1 keep-alive (a pooled connection outlives the event loop that opened it)
and ignores `stream=true`, as some servers and proxies do: a client that asked for a stream
gets a plain JSON body instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def json_only_endpoint(plan: dict[str, Any]) -> Iterator[str]:
    """The endpoint's /v1 URL; every reply is a call of the `Plan` tool with these arguments."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            call = {"id": "c1", "type": "function"}
            call["function"] = {"name": "Plan", "arguments": json.dumps(plan)}
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            body = json.dumps(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "m",
                    "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
