"""Checkpointing: an interrupted task resumes on its thread without redoing finished nodes."""

from __future__ import annotations

import pytest

from graphs import build_graph
from graphs.checkpoints import memory_checkpointer, sqlite_checkpointer
from memory import CaseBank
from nodes import MementoDeps, ModelEndpointError
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, scripted
from tests.unit.test_loop import TASK, solve_with_calculator

INPUT = {"task": TASK, "ground_truth": "395"}


def _graph(bank, embedder, calculator_tool, chat_model, checkpointer=None):
    deps = MementoDeps(bank=bank, embedder=embedder, tools=[calculator_tool], chat_model=chat_model)
    return build_graph(deps, checkpointer=checkpointer or memory_checkpointer())


async def _nodes_run(graph, payload, config, **kwargs) -> list[str]:
    nodes: list[str] = []
    async for update in graph.astream(
        payload, config, context=make_context(), stream_mode="updates", **kwargs
    ):
        nodes.extend(update)
    return nodes


async def test_a_task_interrupted_before_execute_resumes_there(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    model = scripted(*solve_with_calculator("17*23+4", "395"))
    graph = _graph(bank, embedder, calculator_tool, lambda ctx, role: model)
    config = {"configurable": {"thread_id": "t-interrupt"}}
    first = await _nodes_run(graph, INPUT, config, interrupt_before=["execute"])
    assert [n for n in first if n != "__interrupt__"] == ["retrieve", "plan"]
    snapshot = await graph.aget_state(config)
    assert snapshot.next == ("execute",) and bank.count() == 0
    run_id = snapshot.values["run_id"]

    resumed = await _nodes_run(graph, None, config)
    assert resumed == ["execute", "plan", "judge", "write_case", "update_q"]
    final = (await graph.aget_state(config)).values
    assert final["run_id"] == run_id and final["judgement"]["reward"] == 1.0
    assert len(model.calls) == 4  # the first plan was not asked for again
    assert bank.count() == 1


async def test_a_task_that_crashed_in_a_node_resumes_from_the_last_checkpoint(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    model = scripted(*solve_with_calculator("17*23+4", "395"))
    executor_down = True

    def chat_model(ctx, role):
        if role == "executor" and executor_down:
            raise ModelEndpointError("cannot reach the executor model (simulated)")
        return model

    graph = _graph(bank, embedder, calculator_tool, chat_model)
    config = {"configurable": {"thread_id": "t-crash"}}
    with pytest.raises(ModelEndpointError):
        await _nodes_run(graph, INPUT, config)
    assert (await graph.aget_state(config)).next == ("execute",)

    executor_down = False
    resumed = await _nodes_run(graph, None, config)
    assert resumed == ["execute", "plan", "judge", "write_case", "update_q"]
    assert (await graph.aget_state(config)).values["final_answer"] == "395"
    assert len(model.calls) == 4


async def test_sqlite_checkpoints_survive_the_process_that_wrote_them(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool, tmp_path, caplog
) -> None:
    """What `memento run --thread` relies on: a new saver on the same file resumes the task."""
    model = scripted(*solve_with_calculator("17*23+4", "395"))
    path = tmp_path / "checkpoints.sqlite"
    config = {"configurable": {"thread_id": "t-sqlite"}}
    async with sqlite_checkpointer(path) as saver:
        graph = _graph(bank, embedder, calculator_tool, lambda c, r: model, saver)
        await _nodes_run(graph, INPUT, config, interrupt_before=["execute"])
    async with sqlite_checkpointer(path) as saver:
        graph = _graph(bank, embedder, calculator_tool, lambda c, r: model, saver)
        assert (await graph.aget_state(config)).next == ("execute",)
        assert await _nodes_run(graph, None, config) == [
            "execute",
            "plan",
            "judge",
            "write_case",
            "update_q",
        ]
    assert "unregistered type" not in caplog.text  # our records are allow-listed
