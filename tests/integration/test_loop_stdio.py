"""The loop for real: the calculator MCP server over stdio and an on-disk Qdrant bank."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from graphs import build_graph
from graphs.resources import open_resources
from graphs.settings import load_settings
from memory import CaseBank
from nodes.models import message_text
from tests.fakes import HashingEmbedder, final_plan_reply, plan_reply, run_task, scripted, tool_call
from tools import ToolServerError, ToolSessionLoopError, ToolSessions, build_connections

pytestmark = pytest.mark.integration


def _solve(expression: str, answer: str):
    return scripted(
        plan_reply(("compute the expression", "calculate")),
        tool_call("calculate", expression=expression),
        AIMessage(content=f"The result is {answer}."),
        final_plan_reply(answer),
    )


async def _run(store: Path, model, task: str, truth: str) -> dict:
    settings = load_settings(None, store=str(store), base_url="http://127.0.0.1:9/v1")
    async with open_resources(
        settings, embedder=HashingEmbedder(dim=64), chat_model=lambda ctx, role: model
    ) as deps:
        assert [t.name for t in deps.tools] == ["calculate", "run_python"]
        graph = build_graph(deps)
        return await run_task(
            graph, {"task": task, "ground_truth": truth}, context=settings.context
        )


async def test_a_sync_invoke_with_mcp_tools_opened_in_this_loop_fails_naming_the_fix(
    tmp_path: Path,
) -> None:
    """A sync `invoke` runs nodes on a private loop, where a session opened in the caller's
    loop cannot be used: the task fails at the first tool call, saying what to do instead
    (never a hang on streams that belong to the caller's loop)."""
    settings = load_settings(None, store=str(tmp_path / "bank"), base_url="http://127.0.0.1:9/v1")
    model = _solve("17 * 23 + 4", "395")
    async with open_resources(
        settings, embedder=HashingEmbedder(dim=64), chat_model=lambda ctx, role: model
    ) as deps:
        graph = build_graph(deps)
        task = {"task": "What is 17 * 23 + 4?", "ground_truth": "395"}
        with pytest.raises(ToolSessionLoopError, match="'calculator'.*ainvoke/astream"):
            await asyncio.to_thread(graph.invoke, task, context=settings.context)


async def test_a_task_through_real_mcp_and_qdrant_then_a_similar_task_retrieves_it(
    tmp_path: Path,
) -> None:
    store = tmp_path / "bank"
    first = await _run(store, _solve("17 * 23 + 4", "395"), "What is 17 * 23 + 4?", "395")
    call = first["step_results"][0].tool_calls[0]
    assert (call.name, call.result, call.error) == ("calculate", "395", False)
    assert first["judgement"].reward == 1.0 and first["case_id"]

    second = await _run(store, _solve("17 * 23 + 5", "396"), "What is 17 * 23 + 5?", "396")
    assert [c.case_id for c in second["retrieved"]] == [first["case_id"]]
    assert second["visits_recorded"] == 1

    with CaseBank(str(store), dim=None) as bank:  # reopened from disk: nothing was lost
        assert bank.count() == 2
        visits = bank.list_visits(case_id=first["case_id"])
        assert [(v.target, v.run_id) for v in visits] == [(1.0, second["run_id"])]


async def test_calculator_server_answers_exactly_over_stdio() -> None:
    async with ToolSessions(build_connections(enabled=["calculator"])) as sessions:
        (calculate,) = sessions.tools

        async def calc(expression: str) -> ToolMessage:
            call = {"name": "calculate", "args": {"expression": expression}, "id": "1"}
            return await calculate.ainvoke({**call, "type": "tool_call"})

        exact = await calc("1/3 + 1/6")
        assert message_text(exact) == "0.5" and exact.status == "success"
        failed = await calc("1/0")
        assert "division by zero" in message_text(failed) and failed.status == "error"


async def test_a_server_that_cannot_start_is_named() -> None:
    connections = build_connections({"broken": {"command": "/nonexistent/mcp-server"}})
    with pytest.raises(ToolServerError, match="MCP server 'broken' failed to start"):
        async with ToolSessions(connections):
            pass
