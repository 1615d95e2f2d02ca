"""A sandboxed snippet never outlives the run that started it, however the run ends.

The attack (issue 26): SIGTERM to `memento run` during a `run_python` call left the snippet
running (alive 2 min 21 s later, past its 10 s limit). Each test follows only the processes
it started (the descendants of its own child), never others on the machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.endpoints import Reply, Request, loopback_endpoint, tool_call_reply

ROOT = Path(__file__).resolve().parents[2]
SLEEPER = "import subprocess, time\nsubprocess.Popen(['sleep', '60'])\ntime.sleep(60)\n"


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextmanager
def _followed(process: subprocess.Popen) -> Iterator[list[int]]:
    """The descendants of `process` once its snippet and the snippet's own child run; killed
    at the end if a failed test left any of them."""
    found: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        found = _descendants(process.pid)
        if any(_command(pid).startswith("sleep 60") for pid in found):
            break
        time.sleep(0.1)
    try:
        assert any("snippet.py" in _command(pid) for pid in found), "no snippet ever ran"
        yield found
    finally:
        for pid in found:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _gone_within(pids: list[int], seconds: float) -> list[str]:
    """The commands of `pids` still alive after `seconds` (waiting no longer than needed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(_alive, pids)):
        time.sleep(0.1)
    return [_command(pid) for pid in pids if _alive(pid)]


def _sleeps_in_python(request: Request) -> Reply:
    tools = json.dumps(request.body.get("tools", []))
    if "Verdict" in tools:
        return tool_call_reply("Verdict", {"correct": True, "rationale": "ok"})
    if '"Plan"' in tools:
        step = {"description": "wait in python", "tool": "run_python"}
        return tool_call_reply("Plan", {"steps": [step], "final_answer": None})
    return tool_call_reply("run_python", {"code": SLEEPER, "timeout_s": 60})


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_snippet_dies_with_the_run_that_started_it(signum: int, tmp_path: Path) -> None:
    with loopback_endpoint(_sleeps_in_python) as url:
        run = subprocess.Popen(
            [sys.executable, "-m", "memento", "run", "Wait a while.", "--base-url", url,
             "--model", "m", "--tools", "python", "--store", str(tmp_path / "bank")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            with _followed(run) as started:
                run.send_signal(signum)
                run.wait(timeout=60)
                assert _gone_within(started, 5) == []  # the server and the snippet's processes
        finally:
            if run.poll() is None:
                run.kill()


def _serve_one_call(code: str) -> subprocess.Popen:
    """The sandbox server over stdio, with a call of `code` sent (its answer never read)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tools.servers.python_sandbox"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}}
    hello["clientInfo"] = {"name": "test", "version": "0"}
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "run_python", "arguments": {"code": code, "timeout_s": 60}}},
    ]  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    for message in messages:
        server.stdin.write(json.dumps(message).encode() + b"\n")
        server.stdin.flush()
        if message.get("id") == 1:
            server.stdout.readline()  # the server's answer to initialize
    return server


@pytest.mark.parametrize("end", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_a_sandbox_server_takes_its_running_calls_with_it(end: str) -> None:
    """Stopped (SIGTERM, SIGHUP), the server kills each running call with all it started;
    killed outright, the kernel kills each call's first process and the call's guard the rest."""
    server = _serve_one_call(SLEEPER)
    try:
        with _followed(server) as started:
            server.send_signal(getattr(signal, end))
            server.wait(timeout=30)
            assert _gone_within(started, 5) == []
    finally:
        if server.poll() is None:
            server.kill()
