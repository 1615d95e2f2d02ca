"""MementoMiddleware shows a namespace's general memories and credits them like the graph does.

A memory put through the store (`MementoStore`, as LangMem's tools do) is read before the agent
beside the cases, shown in every model call's system message under the graph planner's
heading, and visited with the run's reward after the agent; a store search that one of the
agent's tools makes inside the run is credited by the run too. Eval mode writes nothing.
"""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain.tools import ToolRuntime
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import StructuredTool
from langgraph.checkpoint.memory import InMemorySaver

from memento.middleware import MementoMiddleware
from memory import CaseBank, KernelQ
from memory.adapters.langgraph_store import MementoStore
from tests.fakes import HashingEmbedder, RuleChatModel, scripted, tool_call
from tests.memory_notes import (
    HELPFUL,
    MISLEADING,
    NOTE,
    TASK,
    arithmetic_task,
    note_scores,
    put_note,
    recall,
    task_number,
)

HEADING = "Notes saved to memory"


def _solve(answer: str = "395"):
    return scripted(tool_call("calculate", expression="17*23+4"), AIMessage(content=answer))


async def _invoke(agent, payload: dict, use_async: bool, **kwargs) -> dict:
    if use_async:
        return await agent.ainvoke(payload, **kwargs)
    return agent.invoke(payload, **kwargs)


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_a_memory_is_shown_to_every_model_call_and_credited_with_the_reward(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool, use_async: bool
) -> None:
    memory = put_note(bank, embedder, "prefs", NOTE)
    model = _solve()
    agent = create_agent(
        model,
        [calculator_tool],
        system_prompt="Be brief.",
        middleware=[MementoMiddleware(bank, embedder, seed=0)],
    )
    result = await _invoke(agent, {"messages": [("user", TASK)], "ground_truth": "395"}, use_async)
    [shown] = result["memento_memories"]
    assert (shown["memory_id"], shown["key"], shown["value"]) == (memory.id, "prefs", NOTE)
    assert result["memento_cases"] == []  # an empty bank of cases: the notes stand alone
    for call in model.calls:
        system = call["messages"][0]
        assert isinstance(system, SystemMessage)
        assert system.text.startswith("Be brief.") and HEADING in system.text
        assert NOTE["content"] in system.text and "Past cases" not in system.text
    [visit] = bank.list_visits(case_id=memory.id)
    assert (visit.target, visit.namespace, visit.run_id) == (
        1.0,
        "default",
        result["memento_run_id"],
    )
    assert bank.get(result["memento_case_id"]).run_id == result["memento_run_id"]


async def test_cases_and_memories_share_the_system_message_and_the_run_s_visits(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    memento = MementoMiddleware(bank, embedder, seed=0)
    first = await create_agent(_solve(), [calculator_tool], middleware=[memento]).ainvoke(
        {"messages": [("user", TASK)], "ground_truth": "395"}
    )
    memory = put_note(bank, embedder, "prefs", NOTE)
    model = _solve("394")
    second = await create_agent(model, [calculator_tool], middleware=[memento]).ainvoke(
        {"messages": [("user", TASK)], "ground_truth": "395"}
    )
    text = model.calls[0]["messages"][0].text
    assert text.startswith("Past cases") and text.index("Past cases") < text.index(HEADING)
    run = second["memento_run_id"]
    visits = {v.case_id: v.target for v in bank.list_visits() if v.run_id == run}
    assert visits == {first["memento_case_id"]: 0.0, memory.id: 0.0}


async def test_memories_zero_shows_and_credits_none(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    memory = put_note(bank, embedder, "prefs", NOTE)
    model = _solve()
    agent = create_agent(
        model, [calculator_tool], middleware=[MementoMiddleware(bank, embedder, memories=0)]
    )
    result = await agent.ainvoke({"messages": [("user", TASK)], "ground_truth": "395"})
    assert result["memento_memories"] == []
    assert not isinstance(model.calls[0]["messages"][0], SystemMessage)  # nothing to show
    assert bank.list_visits(case_id=memory.id) == [] and bank.count() == 1
    with pytest.raises(ValueError, match="memories"):
        MementoMiddleware(bank, embedder, memories=-1)


async def test_eval_mode_shows_memories_and_writes_nothing(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    memory = put_note(bank, embedder, "prefs", NOTE)
    model = _solve()
    agent = create_agent(
        model, [calculator_tool], middleware=[MementoMiddleware(bank, embedder, mode="eval")]
    )
    result = await agent.ainvoke({"messages": [("user", TASK)], "ground_truth": "395"})
    assert [m["memory_id"] for m in result["memento_memories"]] == [memory.id]
    assert NOTE["content"] in model.calls[0]["messages"][0].text
    assert bank.count_visits() == 0 and bank.count() == 0 and bank.retrievals.count() == 0


# -- a store search made by a tool inside the agent's run ---------------------------------------


def _recall_through_runtime(query: str, runtime: ToolRuntime) -> str:
    """Search the user's notes."""
    hits = runtime.store.search(("notes", "alice"), query=query, limit=1)
    return "; ".join(str(hit.value) for hit in hits) or "nothing"


def _searching_agent(bank, embedder, store, function, runs: int = 1, **options):
    recall = StructuredTool.from_function(function, name="recall")
    replies = [
        reply
        for _ in range(runs)
        for reply in (tool_call("recall", query="what is 17 * 23"), AIMessage(content="395"))
    ]
    memento = MementoMiddleware(bank, embedder, **options)
    return create_agent(
        scripted(*replies),
        [recall],
        middleware=[memento],
        store=store,
        checkpointer=InMemorySaver(),
    )


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
@pytest.mark.parametrize("function", [recall, _recall_through_runtime], ids=["get_store", "rt"])
async def test_a_tool_s_store_search_inside_the_run_is_credited_by_the_run(
    bank: CaseBank, embedder: HashingEmbedder, use_async: bool, function
) -> None:
    store = MementoStore(bank, embedder, estimator=KernelQ(bank))
    store.put(("notes", "alice"), "calc", {"content": "17 * 23 is 391"})
    memory = bank.memories.find("notes:alice", "calc")
    payload = {"messages": [("user", TASK)], "ground_truth": "395"}
    agent = _searching_agent(bank, embedder, store, function, runs=2)
    config = {"configurable": {"thread_id": "alice"}}
    runs = []
    for _ in range(2):  # one thread, one config: each run names its own, none leaks on
        result = await _invoke(agent, payload, use_async, config=config)
        print([type(m).__name__ + ":" + str(m.content)[:30] for m in result["messages"]])
        [retrieval] = [
            r for r, _ in bank.retrievals.of_run("notes:alice", result["memento_run_id"])
        ]
        assert retrieval.shown == [memory.id] and retrieval.outcome == {"reward": 1.0}
        [visit] = [v for v in bank.list_visits() if v.run_id == retrieval.id]
        assert (visit.case_id, visit.target, visit.namespace) == (memory.id, 1.0, "notes:alice")
        runs.append(result["memento_run_id"])
    assert runs[0] != runs[1] and bank.retrievals.count() == 2
    assert config == {"configurable": {"thread_id": "alice"}}
    assert store.report_run(("notes", "alice"), runs[0], 0.0) == 0  # credited once


async def test_a_run_the_caller_names_is_credited_and_eval_mode_names_none(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    store = MementoStore(bank, embedder, estimator=KernelQ(bank))
    store.put(("notes", "alice"), "calc", {"content": "17 * 23 is 391"})
    payload = {"messages": [("user", TASK)], "ground_truth": "395"}
    agent = _searching_agent(bank, embedder, store, recall)
    await agent.ainvoke(payload, {"configurable": {"memento_run_id": "mine", "thread_id": "1"}})
    [(retrieval, _)] = bank.retrievals.of_run("notes:alice", "mine")
    assert retrieval.outcome == {"reward": 1.0} and bank.count_visits() == 1

    agent = _searching_agent(bank, embedder, store, recall, mode="eval")
    await agent.ainvoke(payload, {"configurable": {"thread_id": "1"}})
    assert bank.retrievals.count() == 1  # eval mode names no run: its search saves nothing


# -- a scripted world: a misleading note sinks below a helpful one ------------------------------
def _agent_follows_the_notes(messages: list, kwargs: dict) -> AIMessage:
    """Right when a helpful note is in the system message, wrong otherwise."""
    system = messages[0].text if isinstance(messages[0], SystemMessage) else ""
    task = [m for m in messages if isinstance(m, HumanMessage)][-1].text
    n = task_number(task)
    return AIMessage(content=str(4 * n) if HELPFUL["content"] in system else "0")


async def test_a_misleading_memory_sinks_below_a_helpful_one_through_the_agent(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    put_note(bank, embedder, "helpful", HELPFUL)
    put_note(bank, embedder, "misleading", MISLEADING)
    before = note_scores(bank, embedder)
    assert before["misleading"] > before["helpful"]  # similarity alone misleads
    memento = MementoMiddleware(bank, embedder, k=1, memories=1, seed=0)
    model = RuleChatModel(messages=iter(()), calls=[], rule=_agent_follows_the_notes)
    agent = create_agent(model, [], middleware=[memento])
    rewards = []
    for n in range(5, 15):  # tasks where the misleading note is the more similar
        result = await agent.ainvoke(
            {"messages": [("user", arithmetic_task(n))], "ground_truth": str(4 * n)}
        )
        rewards.append(result["memento_judgement"]["reward"])
    after = note_scores(bank, embedder)
    print("\nbefore:", before, "\nrewards:", rewards, "\nafter:", after)
    # measured: misleading 0.555 -> 0.438, helpful 0.502 -> 0.816; one failure, then 9 successes
    assert rewards[0] == 0.0 and rewards[-5:] == [1.0] * 5
    assert after["helpful"] > after["misleading"]
    assert after["misleading"] < before["misleading"] - 0.1
