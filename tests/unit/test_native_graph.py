"""The graph as a LangGraph user meets it: an output schema, `invoke` as well as `ainvoke`,
model calls and progress events a tracer can name, and state any checkpointer keeps quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langgraph.checkpoint.memory import InMemorySaver

from graphs import Output, State
from memory import CaseBank
from tests.conftest import make_context
from tests.fakes import final_plan_reply, scripted, tool_call
from tests.unit.test_loop import TASK, solve_with_calculator

ROOT = Path(__file__).resolve().parents[2]
SELF_JUDGED = [*solve_with_calculator("17*23+4", "395"), tool_call("Verdict", correct=True)]


async def _seed(graph_for) -> None:
    model = scripted(*solve_with_calculator("17*23+4", "395"))
    await graph_for(model).ainvoke({"task": TASK, "ground_truth": "395"}, context=make_context())


async def test_a_run_returns_the_output_schema_not_the_state(graph_for, bank: CaseBank) -> None:
    await _seed(graph_for)
    model = scripted(*solve_with_calculator("17*23+5", "396"))
    result = await graph_for(model).ainvoke(
        {"task": "What is 17 * 23 + 5?", "ground_truth": "396"}, context=make_context()
    )
    assert set(result) <= set(Output.model_fields)
    assert not {"task_vector", "candidates", "truth", "state_vectors"} & set(result)
    out = Output.model_validate(result)
    assert out.final_answer == "396" and out.judgement.reward == 1.0
    assert out.case_id and out.run_id and out.visits_recorded == 1 and out.error is None
    (shown,) = out.retrieved
    assert shown.case_id == bank.list_cases()[0].id or shown.question == TASK
    assert shown.probability == 1.0 and shown.similarity > 0
    assert out.step_results[0].tool_calls[0].result == "396"


async def test_the_checkpointed_state_holds_json_native_values_only(graph_for) -> None:
    """What a checkpointer stores is plain JSON: no class of ours for its serde to allowlist."""
    saver = InMemorySaver()
    graph = graph_for(scripted(*solve_with_calculator("17*23+4", "395"))).copy(
        update={"checkpointer": saver}
    )
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke({"task": TASK, "ground_truth": "395"}, config, context=make_context())
    async for snapshot in graph.aget_state_history(config):
        json.dumps(snapshot.values)  # raises on a pydantic record
    final = State.model_validate((await graph.aget_state(config)).values)
    assert final.judgement.reward == 1.0 and final.plans[0].steps  # typed again on read


@pytest.mark.parametrize("kind", ["graph", "agent"])
@pytest.mark.parametrize("strict", ["false", "true"])
def test_reading_checkpoints_logs_no_unregistered_type(strict: str, kind: str) -> None:
    """A plain `InMemorySaver()` (its default serde warns of every unregistered class it
    loads) and strict msgpack (which blocks them) both read the state of Memento's graph and
    of an agent with `MementoMiddleware` silently."""
    env = {**os.environ, "LANGGRAPH_STRICT_MSGPACK": strict, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.fixtures.checkpoint_child", kind],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reward=1.0" in done.stdout, done.stdout + done.stderr[-3000:]
    assert "unregistered type" not in done.stderr, done.stderr[-3000:]
    assert "Blocked deserialization" not in done.stderr, done.stderr[-3000:]


def test_graph_invoke_runs_the_loop_synchronously(graph_for, bank: CaseBank) -> None:
    graph = graph_for(scripted(*solve_with_calculator("17*23+4", "395")))
    events = []
    for mode, chunk in graph.stream(
        {"task": TASK, "ground_truth": "395"},
        context=make_context(),
        stream_mode=["custom", "values"],
    ):
        if mode == "custom":
            events.append(chunk["event"])
        else:
            final = chunk
    assert final["final_answer"] == "395" and final["judgement"]["reward"] == 1.0
    assert {"plan", "tool_call", "reward", "case_written"} <= set(events)
    result = graph_for(scripted(final_plan_reply("396"))).invoke(
        {"task": "What is 17 * 23 + 5?", "ground_truth": "396"}, context=make_context()
    )
    assert result["judgement"]["reward"] == 1.0 and bank.count() == 2
    assert bank.count_visits() == 1  # the first case, read by the second task, was credited


async def test_graph_invoke_works_inside_a_running_event_loop(graph_for) -> None:
    """As in a notebook: the sync call blocks the loop but does not need it."""
    result = graph_for(scripted(final_plan_reply("4"))).invoke(
        {"task": "What is 2 + 2?", "ground_truth": "4"}, context=make_context()
    )
    assert result["judgement"]["reward"] == 1.0


class _Recorder(BaseCallbackHandler):
    """Every run a tracer would draw (name and tags) and every custom event."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, list[str]]] = []
        self.custom: list[tuple[str, Any]] = []

    def on_chat_model_start(self, serialized, messages, *, tags=None, **kwargs) -> None:
        self.runs.append((kwargs.get("name") or "", tags or []))

    def on_chain_start(self, serialized, inputs, *, tags=None, **kwargs) -> None:
        self.runs.append((kwargs.get("name") or "", tags or []))

    def on_custom_event(self, name, data, **kwargs) -> None:
        self.custom.append((name, data))


async def test_model_calls_are_named_and_tagged_for_tracers(graph_for) -> None:
    recorder = _Recorder()
    await graph_for(scripted(*SELF_JUDGED)).ainvoke(
        {"task": TASK},
        {"callbacks": [recorder]},
        context=make_context(namespace="team-a"),
    )
    names_of_runs = [name for name, _ in recorder.runs]
    assert names_of_runs.count("retrieve") == names_of_runs.count("judge") == 1  # one run a node
    tagged = [(name, tags) for name, tags in recorder.runs if "memento" in tags]
    names = {name for name, _ in tagged}
    assert {"memento.planner", "memento.executor", "memento.judge"} <= names
    tags_of = {name: set(tags) for name, tags in tagged}
    assert {"memento:executor", "cycle:1", "namespace:team-a"} <= tags_of["memento.executor"]
    assert {"memento:judge", "cycle:1"} <= tags_of["memento.judge"]
    planner_cycles = {t for n, tags in tagged if n == "memento.planner" for t in tags}
    assert {"cycle:1", "cycle:2"} <= planner_cycles
    kinds = [name for name, _ in recorder.custom]
    assert kinds == ["candidates", "plan", "step", "tool_call", "plan", "reward", "case_written"]
    assert recorder.custom[-3][1]["final_answer"] == "395"


async def test_progress_events_reach_astream_events(graph_for) -> None:
    await _seed(graph_for)
    graph = graph_for(scripted(*solve_with_calculator("17*23+5", "396")))
    custom = [
        event
        async for event in graph.astream_events(
            {"task": "What is 17 * 23 + 5?", "ground_truth": "396"},
            context=make_context(),
            version="v2",
        )
        if event["event"] == "on_custom_event"
    ]
    names = [event["name"] for event in custom]
    assert names[:2] == ["candidates", "case_chosen"] and names[-1] == "q_updated"
    assert custom[1]["data"]["question"] == TASK
