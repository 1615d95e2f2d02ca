"""Streaming: each node's update and the custom progress events, as a UI would consume them."""

from __future__ import annotations

from memory import CaseBank
from tests.conftest import make_context
from tests.fakes import scripted
from tests.unit.test_loop import TASK, solve_with_calculator


async def test_updates_and_progress_events_of_a_task_that_retrieves_a_case(
    graph_for, bank: CaseBank
) -> None:
    await graph_for(scripted(*solve_with_calculator("17*23+4", "395"))).ainvoke(
        {"task": TASK, "ground_truth": "395"}, context=make_context()
    )
    first_id = bank.list_cases()[0].id
    graph = graph_for(scripted(*solve_with_calculator("17*23+5", "396")))
    nodes: list[str] = []
    events: list[dict] = []
    updates: list[tuple[str, dict]] = []
    async for mode, chunk in graph.astream(
        {"task": "What is 17 * 23 + 5?", "ground_truth": "396"},
        context=make_context(),
        stream_mode=["updates", "custom"],
    ):
        if mode == "updates":
            nodes.extend(chunk)
            updates.append((mode, chunk))
        else:
            events.append(chunk)
    assert nodes == ["retrieve", "plan", "execute", "plan", "judge", "write_case", "update_q"]
    kinds = [e["event"] for e in events]
    assert kinds == [
        "candidates",
        "case_chosen",
        "plan",
        "step",
        "tool_call",
        "plan",  # the planner answers directly: still a plan event, with the answer
        "reward",
        "case_written",
        "q_updated",
    ]
    by_kind = {e["event"]: e for e in events}
    assert by_kind["candidates"]["found"] == 1
    chosen = by_kind["case_chosen"]
    assert chosen["case_id"] == first_id and chosen["question"] == TASK
    retrieved = next(u["retrieve"] for _, u in updates if "retrieve" in u)["retrieved"][0]
    # no visits yet: an untried case scores its similarity (contrastive Q q0 - q0 moves it 0)
    assert chosen["q"] == retrieved["similarity"] == retrieved["q"] and 0 < chosen["q"] < 1
    assert chosen["probability"] == 1.0  # the only candidate
    plans = [e for e in events if e["event"] == "plan"]
    assert plans == [
        {"event": "plan", "cycle": 1, "steps": ["compute the expression"], "final_answer": None},
        {"event": "plan", "cycle": 2, "steps": [], "final_answer": "396"},
    ]
    assert by_kind["tool_call"] == {
        "event": "tool_call",
        "name": "calculate",
        "args": {"expression": "17*23+5"},
        "error": False,
    }
    assert by_kind["reward"]["reward"] == 1.0 and by_kind["reward"]["method"] == "numeric"
    assert by_kind["q_updated"] == {"event": "q_updated", "visits": 1, "targets": [1.0]}
