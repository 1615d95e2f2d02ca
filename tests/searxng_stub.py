"""A stand-in SearxNG on loopback: answers /search with a fixed JSON reply and records queries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SAMPLE_REPLY = {
    "query": "capital of france",
    "answers": ["Paris"],
    "results": [
        {"title": f"Result {n}", "url": f"https://example.org/{n}", "content": f"snippet {n}"}
        for n in range(1, 9)
    ],
}


@dataclass
class StubSearxng:
    url: str
    queries: list[dict[str, list[str]]] = field(default_factory=list)


@contextmanager
def stub_searxng(reply: object = SAMPLE_REPLY, status: int = 200) -> Iterator[StubSearxng]:
    """Serve `reply` with `status` at http://127.0.0.1:PORT/search until the block ends."""
    stub = StubSearxng(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            request = urlparse(self.path)
            stub.queries.append(parse_qs(request.query))
            body = json.dumps(reply).encode() if request.path == "/search" else b"{}"
            self.send_response(status if request.path == "/search" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
