"""Memories shown to a run are credited by its outcome, and search ranks them by the policy.

A scripted world: six tips in the store, three that help and three that mislead, the
misleading ones worded closer to the tasks (so similarity alone shows them first). A scripted
agent, a LangGraph graph, reads the top two tips through `runtime.store.search` each task and
succeeds as far as what it read helps; the run's reward is reported to the store afterwards.
After a few failures the misleading tips sink below the helpful one the agent found. The store's
search is greedy (the top results by the policy's score, no exploration), so the agent
explores only as far as the misleading tips sink: 13 failures, then every task succeeds; the
helpful tips never read keep their similarity score.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from memory import CaseBank
from memory.adapters.langgraph_store import MementoStore
from memory.policy.kernel import KernelQ
from tests.fakes import HashingEmbedder

TIPS = ("memories", "agent")
HELPFUL = {
    "h1": "for arithmetic check each sum with the calculator tool",
    "h2": "for arithmetic write the numbers down before adding them",
    "h3": "in arithmetic multiply first then add the remaining numbers",
}
MISLEADING = {
    "m1": "to solve an arithmetic task guess the answer quickly",
    "m2": "an arithmetic task is solved by rounding every number",
    "m3": "solve the arithmetic task in your head never use tools",
}


class Task(TypedDict, total=False):
    task: str
    read: list[str]
    reward: float


def _world(bank: CaseBank) -> tuple[MementoStore, object]:
    store = MementoStore(bank, HashingEmbedder(dim=64), estimator=KernelQ(bank))
    for key, tip in {**HELPFUL, **MISLEADING}.items():
        store.put(TIPS, key, {"content": tip})

    def agent(state: Task, runtime: Runtime) -> Task:
        read = [hit.key for hit in runtime.store.search(TIPS, query=state["task"], limit=1)]
        return {"read": read, "reward": sum(key in HELPFUL for key in read) / len(read)}

    builder = StateGraph(Task)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return store, builder.compile(store=store)


def _task(n: int) -> str:
    return f"solve arithmetic task {n}: what is {n} + {n * 3}?"


def test_misleading_memories_sink_below_helpful_ones_after_reported_failures(
    bank: CaseBank,
) -> None:
    store, graph = _world(bank)
    first = store.search(TIPS, query=_task(99), limit=6)  # a task the agent never gets
    assert first[0].key in MISLEADING  # similarity alone misleads
    rewards = []
    for n in range(25):
        run_id = str(uuid.uuid4())
        out = graph.invoke({"task": _task(n)}, {"configurable": {"memento_run_id": run_id}})
        rewards.append(out["reward"])
        assert store.report_run(TIPS, run_id, out["reward"]) == 1  # a visit for the tip read
        assert store.report_run(TIPS, run_id, out["reward"]) == 0  # credited once
    last = store.search(TIPS, query=_task(99), limit=6)
    ranked = [h.key for h in last]
    print("\nfirst:", [(h.key, round(h.score, 3)) for h in first])
    print("rewards:", rewards)
    print("last:", [(h.key, round(h.score, 3)) for h in last])
    assert rewards[0] == 0.0 and rewards[-10:] == [1.0] * 10
    before, after = ({h.key: h.score for h in hits} for hits in (first, last))
    assert ranked[0] in HELPFUL  # the tip that helped is found first
    assert all(after[key] < before[key] - 0.05 for key in MISLEADING)  # all of them sank
    assert after[ranked[0]] > max(after[key] for key in MISLEADING)


def test_a_search_outside_a_named_run_saves_nothing_and_updates_move_credit(
    bank: CaseBank,
) -> None:
    store, graph = _world(bank)
    store.search(TIPS, query=_task(1), limit=2)  # outside any run
    graph.invoke({"task": _task(1)})  # a run that names no run id
    assert bank.retrievals.count() == 0
    run_id = str(uuid.uuid4())
    out = graph.invoke({"task": _task(2)}, {"configurable": {"memento_run_id": run_id}})
    assert store.report_run(TIPS, run_id, out["reward"]) == 1
    key = out["read"][0]
    old = bank.memories.find("memories:agent", key).id
    assert len(bank.list_visits(case_id=old)) == 1
    store.put(TIPS, key, {"content": "a new wording of the tip"})  # a new version
    assert bank.list_visits(case_id=old) == []
    assert bank.list_visits(case_id=bank.memories.find("memories:agent", key).id) == []
    run_id = str(uuid.uuid4())
    out = graph.invoke({"task": _task(3)}, {"configurable": {"memento_run_id": run_id}})
    store.put(TIPS, out["read"][0], {"content": "reworded before the run's report"})
    assert store.report_run(TIPS, run_id, out["reward"]) == 0  # the version shown is gone
    assert bank.list_visits(case_id=bank.memories.find("memories:agent", out["read"][0]).id) == []
