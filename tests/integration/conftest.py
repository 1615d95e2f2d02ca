"""`langgraph dev` on a loopback port, shared by the tests that drive it through `langgraph_sdk`.

The server runs in a temporary folder (its logs and `.langgraph_api` stay out of the project)
on a free loopback port, with a langgraph.json naming `tests.studio_graph`: the product's
Studio factory, lifespan app and store factory over a scripted model and the hashing
embedder. The dev server raises on blocking calls in async code (blockbuster), so completed
runs and store calls also show that nothing blocks the event loop.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def dev_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `langgraph dev` runs in; its bank (MEMENTO_STORE) is `bank` in it."""
    return tmp_path_factory.mktemp("langgraph-dev")


@pytest.fixture(scope="session")
def dev_server(dev_home: Path) -> Iterator[str]:
    """The URL of a `langgraph dev` serving the Memento graph and the bank as its store."""
    pytest.importorskip("langgraph_api", reason="needs langgraph-cli[inmem] (the test extra)")
    home = dev_home
    (home / "langgraph.json").write_text(
        json.dumps(
            {
                "dependencies": [str(ROOT)],
                "graphs": {"memento": "tests.studio_graph:make_graph"},
                "http": {"app": "tests.studio_graph:app"},
                "store": {"path": "tests.studio_graph.make_store"},
            }
        )
    )
    (home / "memento.json").write_text(json.dumps({"tools": {"enabled": ["calculator"]}}))
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "1",
        "LANGSMITH_TRACING": "false",
        "MEMENTO_CONFIG": str(home / "memento.json"),
        "MEMENTO_STORE": str(home / "bank"),
        "MEMENTO_BASE_URL": "http://127.0.0.1:9/v1",  # never called: the model is scripted
    }
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (home / "server.log").open("w")
    command = [sys.executable, "-m", "langgraph_cli", "dev", "--no-browser", "--no-reload"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--config", "langgraph.json"],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_up(url, process, home / "server.log")
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    assert (home / "bank").is_dir()  # the bank went where MEMENTO_STORE says
    text = (home / "server.log").read_text()
    assert "BlockingError" not in text and "blocking call" not in text, text[-3000:]
    # the state holds JSON-native values only: no checkpoint read warns of a pickled class
    assert "unregistered type" not in text and "Blocked deserialization" not in text, text[-3000:]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"langgraph dev exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"langgraph dev did not start within 90 s:\n{log.read_text()[-3000:]}")
