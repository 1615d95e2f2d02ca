"""The Python API survives a second event loop: the README's example run twice in a process."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from graphs import build_graph
from memory import CaseBank
from nodes import MementoDeps
from tests.conftest import make_context
from tests.fakes import HashingEmbedder

ANSWER = {"steps": [], "final_answer": "4"}


@contextmanager
def _keep_alive_endpoint() -> Iterator[str]:
    """An OpenAI-compatible endpoint over HTTP/1.1 keep-alive whose planner always answers 4
    (a pooled connection outlives the event loop that opened it)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            call = {"id": "c1", "type": "function"}
            call["function"] = {"name": "Plan", "arguments": json.dumps(ANSWER)}
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


def test_a_second_asyncio_run_reuses_nothing_of_the_first_loop() -> None:
    with CaseBank(":memory:", dim=64) as bank, _keep_alive_endpoint() as url:
        graph = build_graph(MementoDeps(bank=bank, embedder=HashingEmbedder()))
        context = make_context(base_url=url, llm_max_retries=0, mode="eval")
        for _ in range(3):
            result = asyncio.run(
                graph.ainvoke({"task": "What is 2 + 2?", "ground_truth": "4"}, context=context)
            )
            assert result["final_answer"] == "4" and result["judgement"].reward == 1.0
