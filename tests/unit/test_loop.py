"""The loop through the compiled graph with a scripted model: cycles, failures, learning."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool

from memory import CaseBank
from tests.conftest import make_context
from tests.fakes import (
    final_answer_reply,
    final_plan_reply,
    plan_reply,
    run_task,
    scripted,
    tool_call,
)

TASK = "What is 17 * 23 + 4?"


def solve_with_calculator(expression: str, answer: str) -> list[AIMessage]:
    """Planner plans one calculator step, executor calls it, planner then answers."""
    return [
        plan_reply(("compute the expression", "calculate")),
        tool_call("calculate", expression=expression),
        AIMessage(content=f"The result is {answer}."),
        final_plan_reply(answer),
    ]


async def test_one_task_runs_every_node_and_writes_the_case(graph_for, bank: CaseBank) -> None:
    model = scripted(*solve_with_calculator("17*23+4", "395"))
    graph = graph_for(model)
    seen: list[str] = []
    async for update in graph.astream(
        {"task": TASK, "ground_truth": "395"}, context=make_context(), stream_mode="updates"
    ):
        seen.extend(update)
    assert seen == ["retrieve", "plan", "execute", "plan", "judge", "write_case", "update_q"]
    assert bank.count(namespace="default") == 1
    case = bank.list_cases()[0]
    assert case.answer == "395" and case.reward == 1.0
    assert case.trajectory[0]["tool_calls"][0]["result"] == "395"
    executor_first_call = model.calls[1]
    assert executor_first_call["tool_choice"] == "calculate"  # the named tool is forced


async def test_second_similar_task_retrieves_the_first_case_and_records_visits(
    graph_for, bank: CaseBank
) -> None:
    await graph_for(scripted(*solve_with_calculator("17*23+4", "395"))).ainvoke(
        {"task": TASK, "ground_truth": "395"}, context=make_context()
    )
    first_id = bank.list_cases()[0].id
    model = scripted(*solve_with_calculator("17*23+5", "396"))
    result = await run_task(
        graph_for(model),
        {"task": "What is 17 * 23 + 5?", "ground_truth": "396"},
        context=make_context(),
    )
    assert [c.case_id for c in result["retrieved"]] == [first_id]
    planner_prompt = model.calls[0]["messages"][0].content
    assert TASK in planner_prompt and "Successful cases" in planner_prompt
    visits = bank.list_visits(case_id=first_id)
    assert len(visits) == 1 and visits[0].target == 1.0
    assert result["visits_recorded"] == 1


async def test_planner_asking_for_another_cycle_gets_one(graph_for) -> None:
    model = scripted(
        plan_reply(("multiply", "calculate")),
        tool_call("calculate", expression="17*23"),
        AIMessage(content="391"),
        plan_reply(("add four", "calculate")),
        tool_call("calculate", expression="391+4"),
        AIMessage(content="395"),
        final_plan_reply("395"),
    )
    result = await run_task(
        graph_for(model), {"task": TASK, "ground_truth": "395"}, context=make_context(max_cycles=3)
    )
    assert result["cycle"] == 2
    assert [r.output for r in result["step_results"]] == ["391", "395"]
    assert result["judgement"].reward == 1.0


async def test_planner_that_never_answers_is_stopped_at_max_cycles(graph_for) -> None:
    replies = []
    for _ in range(2):
        replies += [plan_reply(("think", None)), AIMessage(content="still thinking")]
    replies.append(final_answer_reply("42"))
    model = scripted(*replies)
    result = await run_task(
        graph_for(model, tools=[]),
        {"task": "What is the answer?"},
        context=make_context(max_cycles=2, scorer="exact"),
    )
    assert result["cycle"] == 2
    assert result["final_answer"] == "42"
    assert len(result["step_results"]) == 2


async def test_forced_final_answer_falls_back_to_the_last_step_output(graph_for) -> None:
    model = scripted(
        plan_reply(("think", None)),
        AIMessage(content="the value is 7"),
        AIMessage(content=""),  # no structured answer
        AIMessage(content=""),  # and no text either
    )
    result = await run_task(
        graph_for(model, tools=[]),
        {"task": "What is the value?", "ground_truth": "7"},
        context=make_context(max_cycles=1),
    )
    assert result["final_answer"] == "the value is 7"
    assert result["judgement"].reward == 1.0


async def test_plan_in_plain_text_json_is_recovered(graph_for) -> None:
    model = scripted(
        AIMessage(content='Sure! ```json\n{"steps": [], "final_answer": "Paris"}\n```'),
    )
    result = await run_task(
        graph_for(model),
        {"task": "Capital of France?", "ground_truth": "Paris"},
        context=make_context(),
    )
    assert result["final_answer"] == "Paris" and result["judgement"].reward == 1.0


async def test_a_tool_that_raises_becomes_an_error_result(graph_for) -> None:
    def explode(query: str) -> str:
        raise RuntimeError("disk on fire")

    broken = StructuredTool.from_function(explode, name="lookup", description="Look up a fact.")
    model = scripted(
        plan_reply(("look it up", "lookup")),
        tool_call("lookup", query="x"),
        AIMessage(content="the lookup failed"),
        final_plan_reply("unknown"),
    )
    result = await run_task(
        graph_for(model, tools=[broken]),
        {"task": "Find x", "ground_truth": "y"},
        context=make_context(),
    )
    call = result["step_results"][0].tool_calls[0]
    assert call.error and "disk on fire" in call.result
    assert result["judgement"].reward == 0.0


async def test_a_hallucinated_tool_name_is_answered_with_the_available_tools(graph_for) -> None:
    model = scripted(
        plan_reply(("compute", None)),
        tool_call("wolfram", query="2+2"),
        AIMessage(content="4"),
        final_plan_reply("4"),
    )
    result = await run_task(
        graph_for(model), {"task": "2+2?", "ground_truth": "4"}, context=make_context()
    )
    call = result["step_results"][0].tool_calls[0]
    assert call.error and "unknown tool 'wolfram'" in call.result and "calculate" in call.result


async def _bank_with_one_case(graph_for, bank: CaseBank) -> str:
    """Train one task so that later tasks retrieve its case; returns the case id."""
    await graph_for(scripted(final_plan_reply("395"))).ainvoke(
        {"task": TASK, "ground_truth": "395"}, context=make_context()
    )
    assert bank.count() == 1
    return bank.list_cases()[0].id


async def test_eval_mode_writes_nothing(graph_for, bank: CaseBank) -> None:
    case_id = await _bank_with_one_case(graph_for, bank)
    model = scripted(final_plan_reply("396"))
    result = await run_task(
        graph_for(model),
        {"task": "What is 17 * 23 + 5?", "ground_truth": "396"},
        context=make_context(mode="eval"),
    )
    assert [c.case_id for c in result["retrieved"]] == [case_id]  # a visit could be written
    assert result["judgement"].reward == 1.0
    assert bank.count() == 1 and bank.count_visits() == 0
    assert result["case_id"] is None and result["visits_recorded"] == 0


async def test_unjudged_task_updates_nothing(graph_for, bank: CaseBank) -> None:
    case_id = await _bank_with_one_case(graph_for, bank)
    # No ground truth: the judge model is asked, and its reply cannot be parsed.
    model = scripted(final_plan_reply("maybe"), AIMessage(content="no idea"))
    result = await run_task(
        graph_for(model), {"task": "What is 17 * 23 + 5?"}, context=make_context()
    )
    assert [c.case_id for c in result["retrieved"]] == [case_id]
    assert result["judgement"].reward is None
    assert "unjudged" in result["judgement"].rationale
    assert bank.count() == 1 and bank.count_visits() == 0


async def test_self_judgement_without_ground_truth(graph_for, bank: CaseBank) -> None:
    model = scripted(
        final_plan_reply("Paris"), tool_call("Verdict", correct=True, rationale="known fact")
    )
    result = await run_task(
        graph_for(model), {"task": "Capital of France?"}, context=make_context()
    )
    assert result["judgement"].reward == 1.0 and result["judgement"].method == "self"
    assert bank.count() == 1


def test_cut_short_tool_arguments_are_repaired_or_reported() -> None:
    from nodes.tool_calling import repair_arguments

    assert repair_arguments('{ "expression": "17 * 23 + 4 }') == {"expression": "17 * 23 + 4"}
    assert repair_arguments('{"expression": "2+2"') == {"expression": "2+2"}
    assert repair_arguments("calculate 2+2") is None


async def test_a_repaired_call_runs_and_its_result_reaches_the_model(graph_for) -> None:
    cut_short = AIMessage(
        content="",
        invalid_tool_calls=[
            {"name": "calculate", "args": '{"expression": "17*23+4', "id": "a", "error": "bad"}
        ],
    )
    model = scripted(
        plan_reply(("compute", "calculate")),
        cut_short,
        AIMessage(content="395"),
        final_plan_reply("395"),
    )
    result = await run_task(
        graph_for(model), {"task": TASK, "ground_truth": "395"}, context=make_context()
    )
    (call,) = result["step_results"][0].tool_calls
    assert call.args == {"expression": "17*23+4"}
    assert not call.error and call.result == "395"
    tool_messages = [m for m in model.calls[2]["messages"] if m.type == "tool"]
    assert [m.content for m in tool_messages] == ["395"]


async def test_an_unrepairable_call_is_reported_to_the_model(graph_for) -> None:
    broken = AIMessage(
        content="",
        invalid_tool_calls=[{"name": "calculate", "args": "2 plus 2", "id": "x", "error": "e"}],
    )
    model = scripted(
        plan_reply(("add", "calculate")), broken, AIMessage(content="4"), final_plan_reply("4")
    )
    result = await run_task(
        graph_for(model), {"task": "2+2?", "ground_truth": "4"}, context=make_context()
    )
    call = result["step_results"][0].tool_calls[0]
    assert call.error and "not valid JSON: 2 plus 2" in call.result
    # what the executor sent back holds the call as acted on, with valid JSON arguments
    sent = model.calls[2]["messages"]
    (echoed,) = [m for m in sent if isinstance(m, AIMessage)]
    assert echoed.tool_calls[0]["args"] == {"__invalid__": "2 plus 2"}
    assert not echoed.invalid_tool_calls


async def test_contrastive_credit_records_the_unread_candidates(graph_for, bank: CaseBank) -> None:
    for i in range(3):
        await graph_for(scripted(final_plan_reply(str(i)))).ainvoke(
            {"task": f"What is {i} plus zero?", "ground_truth": str(i)}, context=make_context()
        )
    context = make_context(credit="contrastive", top_k=1, num_candidates=3, seed=0)
    result = await run_task(
        graph_for(scripted(final_plan_reply("7"))),
        {"task": "What is 7 plus zero?", "ground_truth": "7"},
        context=context,
    )
    (read,) = [c.case_id for c in result["retrieved"]]
    visits = [v for v in bank.list_visits() if v.run_id == result["run_id"]]
    assert sorted((v.case_id == read, v.retrieved) for v in visits) == [
        (False, False),
        (False, False),
        (True, True),
    ]
    assert all(v.target == 1.0 for v in visits)


def test_contrastive_credit_needs_single_step_targets_and_names_the_way_out() -> None:
    with pytest.raises(ValueError, match="'credit' = 'contrastive' needs gamma 0.*'followed'"):
        make_context(credit="contrastive", gamma=0.5)
    assert make_context(credit="shared", gamma=0.5).gamma == 0.5
    assert make_context(retrieval="parametric").credit == "followed"  # kernel and parametric
