"""`memento mcp` for real: the case bank served over stdio and streamable HTTP, called through
langchain-mcp-adapters as another framework's agent would call it (one session, or a server
started per call as `get_tools()` does)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

from memory import CaseBank
from nodes.models import message_text

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def _env(home: Path) -> dict[str, str]:
    """This environment with no MEMENTO_* setting of the user's and a home inside the test's
    folder, so the user's own bank is never opened."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMENTO_")}
    share = home / "share"
    return {**env, "PYTHONPATH": str(ROOT), "HOME": str(home), "XDG_DATA_HOME": str(share)}


def _serve(store: Path, *extra: str) -> list[str]:
    return ["-m", "memento", "mcp", "--store", str(store), "--namespace", "team-a", *extra]


async def call(tools: dict[str, BaseTool], name: str, **args: Any) -> ToolMessage:
    call = {"type": "tool_call", "name": name, "args": args, "id": "1"}
    return await tools[name].ainvoke(call)


async def ok(tools: dict[str, BaseTool], name: str, **args: Any) -> dict[str, Any]:
    message = await call(tools, name, **args)
    assert message.status == "success", message_text(message)
    structured = message.artifact["structured_content"]  # beside the same JSON as text
    assert structured == json.loads(message_text(message))
    return structured


async def learn_over(client: MultiServerMCPClient, scored_as: str) -> dict[str, Any]:
    """Two answered tasks, then a third that reads one of them, reported, then read again;
    an answer scored against the client's truth is stored `scored_as` (`--trusted` or not)."""
    async with client.session("memory") as session:
        tools = {tool.name: tool for tool in await load_mcp_tools(session)}
        assert set(tools) >= {"retrieve_cases", "report_outcome", "search_cases", "delete_case"}
        for task in ("What is 17 * 23 + 4?", "What is 17 times 23 plus 4?"):
            first = await ok(tools, "retrieve_cases", task=task)
            outcome = await ok(
                tools, "report_outcome", retrieval_id=first["retrieval_id"], answer="395",
                ground_truth="395",
            )  # fmt: skip
            assert outcome["reward"] == 1.0 and outcome["provenance"] == scored_as
        task = "What is 17 * 23 + 5?"
        looked = await ok(tools, "retrieve_cases", task=task, k=2, mode="eval")
        q_before = {case["case_id"]: case["q"] for case in looked["cases"]}
        assert len(q_before) == 2  # an unreported retrieval teaches nothing
        before = await ok(tools, "retrieve_cases", task=task, k=1)
        assert before["namespace"] == "team-a" and len(before["cases"]) == 1
        (read,) = before["cases"]
        assert set(read) >= {"case_id", "question", "plan", "answer", "reward", "provenance"}
        assert read["q"] == q_before[read["case_id"]] and 0 < read["probability"] <= 1
        (unread,) = set(q_before) - {read["case_id"]}
        report = {"retrieval_id": before["retrieval_id"], "answer": "396", "reward": 1.0}
        outcome = await ok(tools, "report_outcome", **report, plan=["multiply", "add 5"])
        assert outcome["visits"] == 1 and outcome["provenance"] == "self_judged"  # the read
        again = await ok(tools, "report_outcome", **report)
        assert again["already_reported"] and again["visits"] == 0
        assert again["case_id"] == outcome["case_id"]
        after = await ok(tools, "retrieve_cases", task=task, k=3, mode="eval")
        q_after = {case["case_id"]: case["q"] for case in after["cases"]}
        assert outcome["case_id"] in q_after  # the reported task is a case now
        assert q_after[read["case_id"]] > q_before[read["case_id"]]  # read, and it earned 1
        # the task earned 1 without it, but a case never read has no evidence of its own: its
        # score stays its similarity (DESIGN: learned Q moves a rank as far as evidence reaches)
        assert q_after[unread] == pytest.approx(q_before[unread])

        for args, error in [
            ({"retrieval_id": "nope", "answer": "1", "reward": 1.0}, "unknown retrieval_id"),
            ({"retrieval_id": after["retrieval_id"], "answer": "1", "reward": 2.0}, "equal to 1"),
            ({"retrieval_id": after["retrieval_id"], "answer": "1"}, "exactly one of"),
        ]:
            failed = await call(tools, "report_outcome", **args)
            assert failed.status == "error" and error in message_text(failed)
        failed = await call(tools, "retrieve_cases", task="x", mode="greedy")
        assert failed.status == "error" and "'train' or 'eval'" in message_text(failed)
        return {"read": read["case_id"], "unread": unread, "run": before["retrieval_id"]}


def _check_bank(store: Path, ids: dict[str, Any]) -> None:
    with CaseBank(str(store), dim=None) as bank:
        assert bank.count(namespace="team-a") == 3
        visits = {
            case: [(v.retrieved, v.target) for v in bank.list_visits(case_id=ids[case])
                   if v.run_id == ids["run"]]
            for case in ("read", "unread")
        }  # fmt: skip
    # once, repeat or not; shared credit (the default) stores no visit for the case left unread
    assert visits == {"read": [(True, 1.0)], "unread": []}


async def test_case_memory_over_stdio(tmp_path: Path) -> None:
    store = tmp_path / "bank"
    connection = {
        "transport": "stdio",
        "command": sys.executable,
        "args": _serve(store, "--trusted"),  # the app's own server, trusted by its author
        "env": _env(tmp_path),
        "cwd": str(ROOT),
    }
    ids = await learn_over(MultiServerMCPClient({"memory": connection}), "ground_truth")
    _check_bank(store, ids)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving_http(tmp_path: Path, store: Path, *extra: str) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                *_serve(store, "--transport", "streamable-http", "--port", str(port), *extra),
            ],
            cwd=ROOT,
            env=_env(tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_listening(port, process, log_path)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"memento mcp exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"memento mcp did not listen within 120 s:\n{log.read_text()[-3000:]}")


async def test_case_memory_over_streamable_http(tmp_path: Path) -> None:
    store = tmp_path / "bank"
    with serving_http(tmp_path, store) as url:
        client = MultiServerMCPClient({"memory": {"transport": "streamable_http", "url": url}})
        ids = await learn_over(client, "self_judged")  # anyone who reaches the port
    _check_bank(store, ids)  # once the server has let the bank go (a local store has one writer)


async def test_one_http_server_keeps_its_users_apart(tmp_path: Path) -> None:
    """Over HTTP many users share one server: each call is served from its user's namespace,
    and a call without its user is refused."""
    template = ("--namespace-template", "memento:{user_id}")
    with serving_http(tmp_path, tmp_path / "bank", *template) as url:
        client = MultiServerMCPClient({"memory": {"transport": "streamable_http", "url": url}})
        async with client.session("memory") as session:
            tools = {tool.name: tool for tool in await load_mcp_tools(session)}
            task = "Which locker is Alice's?"
            found = await ok(tools, "retrieve_cases", task=task, user_id="alice")
            report = {"retrieval_id": found["retrieval_id"], "answer": "locker 12"}
            await ok(tools, "report_outcome", **report, reward=1.0, user_id="alice")
            seen = await ok(tools, "retrieve_cases", task=task, user_id="bob")
            listed = await ok(tools, "list_cases", user_id="alice")
            refused = await call(tools, "search_cases", query=task)
    assert seen["namespace"] == "memento:bob" and seen["cases"] == []
    assert listed["namespace"] == "memento:alice" and listed["total"] == 1
    assert refused.status == "error" and "give user_id" in message_text(refused)


async def test_a_server_per_call_takes_a_report_and_keeps_users_apart(tmp_path: Path) -> None:
    """The common stdio pattern: `get_tools()` tools start a server per call, so the report
    reaches a server that did not retrieve (the retrieval is a record of the bank). Each call
    names its user; one user's report of another's retrieval is refused."""
    store = tmp_path / "bank"
    template = ("--namespace-template", "memento:{user_id}")
    connection = {
        "transport": "stdio",
        "command": sys.executable,
        "args": ["-m", "memento", "mcp", "--store", str(store), *template],
        "env": _env(tmp_path),
        "cwd": str(ROOT),
    }
    tools = {
        tool.name: tool for tool in await MultiServerMCPClient({"memory": connection}).get_tools()
    }
    started = time.perf_counter()
    found = await ok(tools, "retrieve_cases", task="What is 17 * 23 + 4?", user_id="alice")
    report = {"retrieval_id": found["retrieval_id"], "answer": "395", "reward": 1.0}
    outcome = await ok(tools, "report_outcome", **report, user_id="alice")
    took = time.perf_counter() - started
    print(f"retrieve then report, a stdio server per call: {took:.1f} s")
    assert outcome["namespace"] == found["namespace"] == "memento:alice" and outcome["case_id"]
    for who, error in [({"user_id": "bob"}, "another user"), ({}, "give user_id")]:
        refused = await call(tools, "report_outcome", **report, **who)
        assert refused.status == "error" and error in message_text(refused)
    with CaseBank(str(store), dim=None) as bank:
        assert bank.count(namespace="memento:alice") == 1 and bank.count() == 1


async def test_general_memories_over_stdio(tmp_path: Path) -> None:
    """add_memory, search_memories and report_outcome over one stdio session: the memory
    shown is credited once and no case is written."""
    store = tmp_path / "bank"
    connection = {
        "transport": "stdio",
        "command": sys.executable,
        "args": _serve(store),
        "env": _env(tmp_path),
        "cwd": str(ROOT),
    }
    async with MultiServerMCPClient({"memory": connection}).session("memory") as session:
        tools = {tool.name: tool for tool in await load_mcp_tools(session)}
        tip = {"tip": "check each sum with the calculator tool"}
        added = await ok(tools, "add_memory", value=tip, key="calculator-tip")
        found = await ok(tools, "search_memories", query="check the sum 17 + 23")
        assert found["namespace"] == "team-a" and found["retrieval_id"]
        (shown,) = found["memories"]
        assert shown["key"] == "calculator-tip" and shown["version"] == added["version"]
        report = {"retrieval_id": found["retrieval_id"], "answer": "40"}
        outcome = await ok(tools, "report_outcome", **report, ground_truth="40")
        assert outcome["kind"] == "memories" and outcome["visits"] == 1
        assert outcome["case_id"] is None and outcome["reward"] == 1.0
        again = await ok(tools, "report_outcome", **report, reward=0.0)
        assert again["already_reported"] and again["visits"] == 0
        assert (await ok(tools, "get_memory", key="calculator-tip"))["visits"] == 1
        case = {"question": "What is 17 + 23?", "answer": "40", "reward": 1.0}
        refused = await call(tools, "add_memory", value=case)
        assert refused.status == "error" and "is a case" in message_text(refused)
    with CaseBank(str(store), dim=None) as bank:
        assert bank.count() == 0 and bank.memories.count(namespace="team-a") == 1
        (visit,) = bank.list_visits(case_id=added["version"])
        assert visit.run_id == found["retrieval_id"] and visit.target == 1.0
