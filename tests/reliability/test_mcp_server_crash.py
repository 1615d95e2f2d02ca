"""An MCP server that dies mid-run is restarted once; if it dies again, that task fails."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from graphs import build_graph
from memory import CaseBank
from nodes import MementoDeps
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, final_plan_reply, plan_reply, scripted, tool_call
from tools import ToolServerCrashedError, ToolSessions

SERVER = Path(__file__).parents[1] / "fixtures" / "crashing_server.py"


def _connections(markers: Path) -> dict:
    return {
        "crashing": {
            "transport": "stdio",
            "command": sys.executable,
            "args": [str(SERVER), str(markers)],
        }
    }


async def _call(sessions: ToolSessions, name: str, **args: object) -> str:
    tool = next(t for t in sessions.tools if t.name == name)
    content = await tool.ainvoke(args)
    return content if isinstance(content, str) else " ".join(b["text"] for b in content)


async def test_a_crashed_server_is_restarted_and_the_call_answered(tmp_path: Path) -> None:
    async with ToolSessions(_connections(tmp_path)) as sessions:
        first_pid = int(await _call(sessions, "server_pid"))
        assert await _call(sessions, "crash_once", label="a") == "a done"
        second_pid = int(await _call(sessions, "server_pid"))
    assert int((tmp_path / "a").read_text()) == first_pid  # the call did kill the first server
    assert second_pid != first_pid
    assert sessions.servers["crashing"].restarts == 1


async def test_concurrent_calls_that_meet_one_crash_restart_the_server_once(
    tmp_path: Path,
) -> None:
    async with ToolSessions(_connections(tmp_path)) as sessions:
        await _call(sessions, "server_pid")
        answers = await asyncio.gather(
            _call(sessions, "crash_once", label="b"), _call(sessions, "server_pid")
        )
        assert answers[0] == "b done"
        assert sessions.servers["crashing"].restarts == 1


async def test_a_server_that_dies_again_fails_the_task_and_writes_nothing(
    tmp_path: Path, bank: CaseBank
) -> None:
    model = scripted(
        plan_reply(("crash the server", "crash_always")),
        tool_call("crash_always"),
        AIMessage(content="unreachable"),
        final_plan_reply("unreachable"),
    )
    async with ToolSessions(_connections(tmp_path)) as sessions:
        deps = MementoDeps(
            bank=bank,
            embedder=HashingEmbedder(),
            tools=sessions.tools,
            chat_model=lambda ctx, role: model,
        )
        graph = build_graph(deps)
        with pytest.raises(
            ToolServerCrashedError, match="'crashing' crashed during a call to 'crash_always'"
        ):
            await graph.ainvoke({"task": "Crash it", "ground_truth": "x"}, context=make_context())
        assert bank.count() == 0  # no partial case
        # the next task finds the server dead, restarts it, and is served
        assert int(await _call(sessions, "server_pid")) > 0
        assert sessions.servers["crashing"].restarts == 2


async def test_a_server_that_cannot_be_restarted_fails_with_its_name(tmp_path: Path) -> None:
    async with ToolSessions(_connections(tmp_path)) as sessions:
        missing = tmp_path / "gone.py"
        sessions.connections["crashing"]["args"][0] = str(missing)  # the restart will fail
        with pytest.raises(ToolServerCrashedError, match="could not be restarted"):
            await _call(sessions, "crash_always")


async def test_a_session_without_a_usable_stderr_leaks_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where neither sys.stderr nor sys.__stderr__ has a descriptor (some embedders), the
    server's stderr goes to the null device, which is closed with the session."""
    import io
    import os

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(sys, "__stderr__", io.StringIO())
    open_files = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        async with ToolSessions(_connections(tmp_path)) as sessions:
            assert int(await _call(sessions, "server_pid")) > 0
    await asyncio.sleep(0.1)  # the transport's pipes close as their tasks end
    assert len(os.listdir("/proc/self/fd")) <= open_files
