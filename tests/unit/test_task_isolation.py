"""Every task starts clean, whatever thread it runs on; a retried update counts nothing twice.

Through the compiled graph with a checkpointer, as Studio, the SDK and `memento run --thread`
use it: a second task on a thread must be judged against its own ground truth (or none), see
none of the first task's step results, and run its own steps.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from graphs import State, build_graph
from memory import Case, CaseBank
from nodes import MementoDeps
from tests.conftest import make_context
from tests.fakes import final_plan_reply, plan_reply, run_task, scripted, tool_call

FIRST = {"task": "What is 17 * 23 + 4?", "ground_truth": "395"}


def _solve(expression: str, answer: str) -> list[AIMessage]:
    return [
        plan_reply(("compute the expression", "calculate")),
        tool_call("calculate", expression=expression),
        AIMessage(content=f"The result is {answer}."),
        final_plan_reply(answer),
    ]


def _graph(bank, embedder, calculator_tool, model, saver=None):
    deps = MementoDeps(
        bank=bank, embedder=embedder, tools=[calculator_tool], chat_model=lambda c, r: model
    )
    return build_graph(deps, checkpointer=saver)


async def test_a_second_task_on_a_thread_is_judged_against_its_own_truth(
    bank: CaseBank, embedder, calculator_tool
) -> None:
    # task 2 answers "395" again: judged against task 1's truth it would score 1.0
    model = scripted(
        *_solve("17*23+4", "395"),
        *_solve("17*23+4", "395"),
        tool_call("Verdict", correct=False, rationale="a number is not a colour"),
    )
    graph = _graph(bank, embedder, calculator_tool, model, InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke(FIRST, config, context=make_context())
    second = await run_task(graph, {"task": "Name a colour."}, config, context=make_context())
    assert second["truth"] is None
    assert second["judgement"].method == "self" and second["judgement"].reward == 0.0
    assert "395" not in second["judgement"].rationale
    (case,) = [c for c in bank.list_cases() if c.question == "Name a colour."]
    assert case.reward == 0.0 and case.judge_rationale == "a number is not a colour"


async def test_a_second_task_runs_its_own_steps_and_sees_none_of_the_first(
    bank: CaseBank, embedder, calculator_tool
) -> None:
    model = scripted(*_solve("17*23+4", "395"), *_solve("2*3", "6"))
    graph = _graph(bank, embedder, calculator_tool, model, InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke(FIRST, config, context=make_context())
    calls_before = len(model.calls)
    second = await run_task(
        graph, {"task": "What is 2 * 3?", "ground_truth": "6"}, config, context=make_context()
    )
    assert second["judgement"].reward == 1.0 and second["final_answer"] == "6"
    assert [r.tool_calls[0].args for r in second["step_results"]] == [{"expression": "2*3"}]
    assert len(second["plans"]) == 2 and second["cycle_states"][0] == "What is 2 * 3?"
    planner_prompts = [c["messages"] for c in model.calls[calls_before:]]
    assert not any("17*23+4" in str(m.content) for p in planner_prompts for m in p)


async def test_a_task_on_a_used_thread_ends_as_it_would_on_a_fresh_one(
    bank: CaseBank, embedder, calculator_tool
) -> None:
    """Every per-task field of the state, not only those named above (a field added to
    `State` and not reset when a task starts makes this fail)."""
    task = {"task": "What is 2 * 3?", "ground_truth": "6"}
    used = _graph(
        bank,
        embedder,
        calculator_tool,
        scripted(*_solve("1+1", "2"), *_solve("2*3", "6")),
        InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "t"}}
    await used.ainvoke(
        {"task": "What is 1 + 1?", "ground_truth": "2"}, config, context=make_context(mode="eval")
    )
    on_used = await run_task(used, task, config, context=make_context(mode="eval"))
    fresh = _graph(bank, embedder, calculator_tool, scripted(*_solve("2*3", "6")), InMemorySaver())
    on_fresh = await run_task(
        fresh, task, {"configurable": {"thread_id": "new"}}, context=make_context(mode="eval")
    )
    per_run = {"run_id"}
    for name in State.model_fields:
        if name not in per_run:
            assert _comparable(on_used.get(name)) == _comparable(on_fresh.get(name)), name


def _comparable(value: object) -> object:
    """A state value without the timings of tool calls (they differ from run to run)."""
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude={"tool_calls": {"__all__": {"seconds"}}})
    return value


async def test_a_retried_update_stores_no_visit_twice(
    bank: CaseBank, embedder, calculator_tool
) -> None:
    """Replaying `update_q` from its checkpoint (a crash between storing the visits and
    training, a resumed run) rewrites the same visits: their ids derive from the run."""
    first = _graph(bank, embedder, calculator_tool, scripted(final_plan_reply("395")))
    await first.ainvoke(FIRST, context=make_context())
    saver = InMemorySaver()
    graph = _graph(bank, embedder, calculator_tool, scripted(final_plan_reply("396")), saver)
    config = {"configurable": {"thread_id": "t"}}
    result = await run_task(
        graph,
        {"task": "What is 17 * 23 + 5?", "ground_truth": "396"},
        config,
        context=make_context(),
    )
    assert result["visits_recorded"] == 1 and bank.count_visits() == 1
    history = [s async for s in graph.aget_state_history(config)]
    (before_update,) = [s for s in history if s.next == ("update_q",)]
    await graph.ainvoke(None, before_update.config, context=make_context())
    assert bank.count_visits() == 1


async def test_a_seed_makes_a_run_reproducible_and_each_task_draws_anew(
    bank: CaseBank, embedder, calculator_tool
) -> None:
    """Train-mode sampling (exploration "sampling") with a seed: the same run twice gives the
    same choices, and the tasks of one run do not all pick the same candidate positions."""
    for i in range(12):  # cases without visits: equal Q, so only the sampling noise decides
        question = f"Item {i}: what is {i} plus zero?"
        case = Case(
            id="",
            namespace="default",
            question=question,
            reward=1.0,
            created_at=0.0,
            updated_at=0.0,
        )
        bank.add(case, embedder.embed_query(question))

    async def positions_of_one_run() -> list[tuple[int, ...]]:
        """One graph (one MementoDeps) is one run; its tasks are unjudged (no ground truth,
        a judge reply that is no verdict), so the bank stays as it is between the two runs."""
        replies = [r for _ in range(5) for r in (final_plan_reply("x"), AIMessage("no idea"))]
        graph = _graph(bank, embedder, calculator_tool, scripted(*replies))
        sampled = []
        for t in range(5):
            result = await run_task(
                graph,
                {"task": f"What is {t} plus one?"},
                context=make_context(
                    mode="train", top_k=2, num_candidates=12, seed=7, exploration="sampling"
                ),
            )
            assert result["judgement"].reward is None
            ids = [c.case_id for c in result["candidates"]]
            sampled.append(tuple(ids.index(c.case_id) for c in result["retrieved"]))
        return sampled

    first, again = await positions_of_one_run(), await positions_of_one_run()
    assert first == again
    assert len(set(first)) > 1
