"""The local LLM launcher, with a stand-in server: ports, readiness, and no process left behind."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from memento.local_llm import LocalLLMError, local_llm_server

pytestmark = pytest.mark.integration

FAKE_SERVER = Path(__file__).resolve().parents[1] / "fixtures" / "fake_openai_server.py"


def fake_server(pid_file: Path, *extra: str) -> list[str]:
    host_port = ["--host", "{host}", "--port", "{port}"]
    return [sys.executable, str(FAKE_SERVER), *host_port, "--pid-file", str(pid_file), *extra]


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def pid_in(pid_file: Path) -> int:
    return int(pid_file.read_text())


async def test_starts_on_a_free_port_and_stops_afterwards(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    async with local_llm_server(command=fake_server(pid_file, "--ready-after", "0.5")) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.base_url.endswith("/v1")
        assert server.model == "fake-model"
        assert server.pid == pid_in(pid_file)
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as response:
            assert json.loads(response.read())["data"][0]["id"] == "fake-model"
        assert is_running(server.pid)
        log_path = server.log_path
    assert not is_running(server.pid)
    assert not log_path.exists(), "the temporary log is removed"


async def test_two_servers_get_different_ports(tmp_path: Path) -> None:
    async with (
        local_llm_server(command=fake_server(tmp_path / "a")) as first,
        local_llm_server(command=fake_server(tmp_path / "b")) as second,
    ):
        assert first.base_url != second.base_url
    assert not is_running(first.pid)
    assert not is_running(second.pid)


async def test_a_server_never_ready_times_out_and_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(LocalLLMError, match=r"not ready within 1\.5 s"):
        async with local_llm_server(
            command=fake_server(pid_file, "--never-ready"), startup_timeout_s=1.5
        ):
            pytest.fail("the body must not run")
    assert not is_running(pid_in(pid_file))


async def test_a_server_that_exits_fails_fast_with_its_log(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    # the exit is what is reported, not a startup timeout (an hour here)
    with pytest.raises(LocalLLMError, match=r"exited with code 3(.|\n)*failing on purpose"):
        async with local_llm_server(
            command=fake_server(pid_file, "--exit-with", "3"), startup_timeout_s=3600
        ):
            pytest.fail("the body must not run")


async def test_stops_the_server_when_the_body_raises(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(ZeroDivisionError):
        async with local_llm_server(command=fake_server(pid_file)):
            assert is_running(pid_in(pid_file))
            1 / 0  # noqa: B018
    assert not is_running(pid_in(pid_file))


async def test_stops_the_server_when_cancelled(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    inside = asyncio.Event()

    async def use_server() -> None:
        async with local_llm_server(command=fake_server(pid_file)):
            inside.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(use_server())
    await asyncio.wait_for(inside.wait(), timeout=30)
    assert is_running(pid_in(pid_file))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not is_running(pid_in(pid_file))


async def test_kills_a_server_that_ignores_sigterm(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    async with local_llm_server(
        command=fake_server(pid_file, "--ignore-sigterm"), stop_timeout_s=0.5
    ):
        pass
    assert not is_running(pid_in(pid_file))


async def test_keeps_a_log_file_the_caller_named(tmp_path: Path) -> None:
    log_path = tmp_path / "logs" / "server.log"
    async with local_llm_server(command=fake_server(tmp_path / "pid"), log_path=log_path):
        pass
    assert "fake server starting" in log_path.read_text()
