"""Every wait on a network peer or a subprocess is bounded, and SIGTERM always ends a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openai
import pytest

from memory.embeddings.embedders import openai_embeddings
from tools import ToolServerError, ToolSessions

SILENT_SERVER = [sys.executable, "-c", "import time; time.sleep(3600)"]


@contextmanager
def _hanging_endpoint(hits: list[str]) -> Iterator[str]:
    """An HTTP endpoint that reads each request and never answers it."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            release.wait(120)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()


async def test_an_mcp_server_that_never_answers_its_handshake_is_named() -> None:
    connections = {
        "mute": {"transport": "stdio", "command": SILENT_SERVER[0], "args": SILENT_SERVER[1:]}
    }
    with pytest.raises(ToolServerError, match=r"MCP server 'mute' did not start within 0\.5 s"):
        async with ToolSessions(connections, startup_timeout_s=0.5):
            pytest.fail("no tools from a server that never started")


def test_the_embeddings_client_has_a_timeout() -> None:
    hits: list[str] = []
    with _hanging_endpoint(hits) as url:
        embedder = openai_embeddings(
            "embed", base_url=url, api_key_env="NO_SUCH_KEY", timeout_s=0.5, max_retries=0
        )
        with pytest.raises(openai.APITimeoutError):
            embedder.embed_query("hello")
    assert hits == ["/v1/embeddings"]


def test_sigterm_ends_a_run_stuck_on_a_hanging_endpoint(tmp_path: Path) -> None:
    """The run waits on an embeddings call that never returns; one SIGTERM ends the process
    (it unwinds, and a cleanup still waiting on the hung call is cut short)."""
    hits: list[str] = []
    with _hanging_endpoint(hits) as url:
        env = {
            **os.environ,
            "MEMENTO_BASE_URL": url,
            "MEMENTO_EMBEDDING_MODEL": "embed",
            "MEMENTO_STORE": str(tmp_path / "bank"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "memento", "run", "What is 2 + 2?", "--tools", "calculator"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not hits and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.1)
            assert hits, "the run never called the embeddings endpoint"
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=90)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
