"""MementoMiddleware on a `create_agent` agent: a run writes a case, the next run reads it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, SystemMessage

from memento.middleware import MementoMiddleware
from memory import CaseBank, KernelQ
from tests.fakes import HashingEmbedder, scripted, tool_call

FIRST, SECOND = "What is 17 * 23 + 4?", "What is 17 * 23 + 5?"


def _solve(expression: str, answer: str):
    """The agent's model calls the calculator once, then answers."""
    return scripted(tool_call("calculate", expression=expression), AIMessage(content=answer))


async def _invoke(agent, payload: dict, use_async: bool, **kwargs) -> dict:
    if use_async:
        return await agent.ainvoke(payload, **kwargs)
    return agent.invoke(payload, **kwargs)


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_a_run_writes_its_case_and_the_next_run_retrieves_it_and_updates_q(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool, use_async: bool
) -> None:
    memento = MementoMiddleware(bank, embedder, k=2, seed=0)

    first_model = _solve("17*23+4", "395")
    first_agent = create_agent(first_model, [calculator_tool], middleware=[memento])
    first = await _invoke(
        first_agent, {"messages": [("user", FIRST)], "ground_truth": "395"}, use_async
    )
    assert first["memento_cases"] == []  # an empty bank
    assert first["memento_judgement"]["reward"] == 1.0
    case = bank.get(first["memento_case_id"])
    assert case is not None and case.question == FIRST and case.answer == "395"
    assert case.plan == ['call calculate with {"expression": "17*23+4"} [calculate]']
    assert case.trajectory[0]["tool_calls"][0]["result"] == "395"

    second_model = _solve("17*23+5", "396")
    second_agent = create_agent(
        second_model, [calculator_tool], system_prompt="Be brief.", middleware=[memento]
    )
    second = await _invoke(
        second_agent, {"messages": [("user", SECOND)], "ground_truth": "396"}, use_async
    )
    assert [c["case_id"] for c in second["memento_cases"]] == [case.id]
    for call in second_model.calls:  # every model call of the run sees the case
        system = call["messages"][0]
        assert isinstance(system, SystemMessage)
        assert system.text.startswith("Be brief.") and "Past cases" in system.text
        assert f"Q: {FIRST}" in system.text and "answer: 395" in system.text
    visits = bank.list_visits(case_id=case.id)
    assert [(v.target, v.namespace) for v in visits] == [(1.0, "default")]
    assert bank.count() == 2


async def test_without_ground_truth_the_judge_model_decides(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    judge = scripted(tool_call("Verdict", correct=False, rationale="395 is wrong"))
    memento = MementoMiddleware(bank, embedder, judge=judge)
    agent = create_agent(_solve("17*23+4", "395"), [calculator_tool], middleware=[memento])
    result = await agent.ainvoke({"messages": [("user", FIRST)]})
    judgement = result["memento_judgement"]
    assert (judgement["reward"], judgement["method"]) == (0.0, "self")
    assert "calculate -> 395" in judge.calls[0]["messages"][0].content  # it saw the tool result
    assert bank.get(result["memento_case_id"]).reward == 0.0


async def test_a_run_that_cannot_be_judged_writes_nothing(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    agent = create_agent(
        _solve("17*23+4", "395"), [calculator_tool], middleware=[MementoMiddleware(bank, embedder)]
    )
    result = await agent.ainvoke({"messages": [("user", FIRST)]})
    assert result["memento_judgement"]["reward"] is None
    assert result["memento_case_id"] is None and bank.count() == 0


async def test_ground_truth_from_the_agents_context(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    @dataclass
    class TaskContext:
        ground_truth: str

    agent = create_agent(
        _solve("17*23+4", "395"),
        [calculator_tool],
        middleware=[MementoMiddleware(bank, embedder)],
        context_schema=TaskContext,
    )
    result = await agent.ainvoke(
        {"messages": [("user", FIRST)]}, context=TaskContext(ground_truth="395")
    )
    assert result["memento_judgement"]["reward"] == 1.0 and bank.count() == 1


async def test_eval_mode_reads_cases_but_writes_nothing(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    train = create_agent(
        _solve("17*23+4", "395"), [calculator_tool], middleware=[MementoMiddleware(bank, embedder)]
    )
    await train.ainvoke({"messages": [("user", FIRST)], "ground_truth": "395"})
    evaluate = create_agent(
        _solve("17*23+5", "396"),
        [calculator_tool],
        middleware=[MementoMiddleware(bank, embedder, mode="eval")],
    )
    result = await evaluate.ainvoke({"messages": [("user", SECOND)], "ground_truth": "396"})
    assert len(result["memento_cases"]) == 1 and result["memento_judgement"]["reward"] == 1.0
    assert bank.count() == 1 and bank.count_visits() == 0


@pytest.mark.parametrize("credit", ["shared", "contrastive"])
async def test_the_candidates_left_unread_get_their_visits_as_in_the_graph(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool, credit: str
) -> None:
    """Contrastive credit needs a visit for every candidate scored but not shown: the
    middleware writes them as the graph's update_q does; shared credit (the default) never
    reads them, so none is stored."""
    estimator = KernelQ(bank, credit=credit)
    memento = MementoMiddleware(bank, embedder, k=1, seed=0, estimator=estimator)
    for expression, answer in (("17*23+4", "395"), ("17*23+5", "396")):
        agent = create_agent(_solve(expression, answer), [calculator_tool], middleware=[memento])
        await agent.ainvoke(
            {"messages": [("user", f"What is {expression}?")], "ground_truth": answer}
        )
    agent = create_agent(_solve("17*23+6", "397"), [calculator_tool], middleware=[memento])
    third = await agent.ainvoke({"messages": [("user", "What is 17*23+6?")], "ground_truth": "397"})
    (shown,) = [c["case_id"] for c in third["memento_cases"]]
    run_visits = [v for v in bank.list_visits() if v.target == 1.0 and v.run_id]
    latest = max(run_visits, key=lambda v: v.created_at).run_id
    visits = {(v.case_id == shown, v.retrieved) for v in bank.list_visits() if v.run_id == latest}
    read_and_unread = {(True, True), (False, False)}
    assert visits == (read_and_unread if credit == "contrastive" else {(True, True)})
