"""`open_resources_sync`: a sync app opens the run's resources (real calculator and python MCP
servers over stdio, an on-disk bank) and runs the graph with a plain `graph.invoke`; whatever
the block does, everything is closed when it ends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from graphs import build_graph
from graphs.resources import open_resources_sync
from graphs.settings import MementoSettings, load_settings
from memory import CaseBank
from tests.fakes import HashingEmbedder, final_plan_reply, plan_reply, scripted, tool_call
from tests.integration.test_tool_sessions_start import children

pytestmark = pytest.mark.integration

TASK = {"task": "What is 17 * 23 + 4?", "ground_truth": "395"}


def _settings(tmp_path: Path) -> MementoSettings:
    return load_settings(None, store=str(tmp_path / "bank"), base_url="http://127.0.0.1:9/v1")


def _held_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("memento-resources")]


def test_a_sync_invoke_calls_the_mcp_tools_opened_for_sync_code(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    solve = [
        plan_reply(("compute the expression", "calculate")),
        tool_call("calculate", expression="17 * 23 + 4"),
        AIMessage(content="The result is 395."),
        final_plan_reply("395"),
    ]
    model = scripted(*solve, *solve)  # one task invoked, one streamed
    before = children()
    with open_resources_sync(
        settings, embedder=HashingEmbedder(dim=64), chat_model=lambda ctx, role: model
    ) as deps:
        assert [t.name for t in deps.tools] == ["calculate", "run_python"]
        graph = build_graph(deps)
        output = graph.invoke(TASK, context=settings.context)
        modes = ["updates", "custom"]  # custom: the nodes' progress events, written on deps.loop
        again = list(graph.stream(TASK, context=settings.context, stream_mode=modes))
    assert output["final_answer"] == "395" and output["judgement"]["reward"] == 1.0
    assert output["step_results"][0]["tool_calls"][0]["result"] == "395"  # the real calculator
    assert any(mode == "updates" and "update_q" in chunk for mode, chunk in again)
    events = [chunk["event"] for mode, chunk in again if mode == "custom"]
    assert {"candidates", "tool_call", "q_updated"} <= set(events)
    with pytest.raises(RuntimeError, match="'retrieve': the resources .* are closed"):
        graph.invoke(TASK, context=settings.context)  # built over what the block closed
    assert children() - before == set() and _held_threads() == []
    with CaseBank(str(tmp_path / "bank"), dim=None) as bank:  # let go of: it opens again
        assert bank.count() == 1  # the same outcome twice: one case, two attempts


def test_everything_is_closed_when_the_block_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[CaseBank] = []
    close = CaseBank.close
    monkeypatch.setattr(CaseBank, "close", lambda bank: (closed.append(bank), close(bank))[1])
    before = children()
    with (
        pytest.raises(RuntimeError, match="the app failed"),
        open_resources_sync(_settings(tmp_path), embedder=HashingEmbedder(dim=64)) as deps,
    ):
        assert children() - before  # the MCP servers run
        raise RuntimeError("the app failed")
    assert children() - before == set() and _held_threads() == []
    assert closed == [deps.bank]
    with CaseBank(str(tmp_path / "bank"), dim=None) as bank:
        assert bank.count() == 0
