"""Tools that misbehave: one that hangs is timed out, one that floods is truncated."""

from __future__ import annotations

import asyncio

from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool

from tests.conftest import make_context
from tests.fakes import RuleChatModel, final_plan_reply, plan_reply, run_task, scripted, tool_call


def _one_call(name: str) -> list[AIMessage]:
    return [
        plan_reply(("use the tool", name)),
        tool_call(name, query="x"),
        AIMessage(content="done"),
        final_plan_reply("done"),
    ]


async def test_a_hanging_tool_is_cut_off_at_the_tool_timeout(graph_for) -> None:
    async def hang(query: str) -> str:
        await asyncio.sleep(3600)
        return "never"

    tool = StructuredTool.from_function(coroutine=hang, name="hang", description="Hangs.")
    result = await run_task(
        graph_for(scripted(*_one_call("hang")), tools=[tool]),
        {"task": "Use the tool", "ground_truth": "done"},
        context=make_context(tool_timeout_s=0.5),
    )
    call = result["step_results"][0].tool_calls[0]
    assert call.error and "timed out after 0.5 s" in call.result


async def test_a_step_that_runs_out_of_time_reports_it_to_the_planner(graph_for) -> None:
    """Each call is within its own limit, but the step as a whole is not: the step ends at
    step_timeout_s with the calls it made, and the planner reads why."""
    calls = []

    async def slow(query: str) -> str:
        calls.append(query)
        await asyncio.sleep(0.3)
        return "partial"

    tool = StructuredTool.from_function(coroutine=slow, name="slow", description="Slow.")

    def reply(messages, kwargs) -> AIMessage:
        if not str(messages[0].content).startswith("You are the planner"):
            return tool_call("slow", query="x")  # the executor keeps calling
        if any("Results of the steps" in str(m.content) for m in messages):
            return final_plan_reply("gave up")
        return plan_reply(("use the tool", "slow"))

    model = RuleChatModel(messages=iter(()), calls=[], rule=reply)
    context = make_context(step_timeout_s=0.5, tool_timeout_s=5, max_tool_calls_per_step=10)
    result = await run_task(
        graph_for(model, tools=[tool]),
        {"task": "Use the tool", "ground_truth": "done"},
        context=context,
    )
    (step,) = result["step_results"]
    assert "ran out of time after 0.5 s" in step.error
    assert 1 <= len(step.tool_calls) < 10 and step.tool_calls[0].result == "partial"
    replan = model.calls[-1]["messages"]
    assert any("ran out of time" in str(m.content) for m in replan)


async def test_a_flooding_tool_is_truncated_everywhere(graph_for, bank) -> None:
    def flood(query: str) -> str:
        return "x" * 10_000_000

    tool = StructuredTool.from_function(flood, name="flood", description="Returns 10 MB.")
    model = scripted(*_one_call("flood"))
    result = await run_task(
        graph_for(model, tools=[tool]),
        {"task": "Use the tool", "ground_truth": "done"},
        context=make_context(max_result_chars=1000),
    )
    call = result["step_results"][0].tool_calls[0]
    assert len(call.result) < 1100 and "truncated 9999000 of 10000000 characters" in call.result
    sent_back = model.calls[2]["messages"][-1].content  # what the executor model saw
    assert len(sent_back) < 1100
    stored = bank.list_cases()[0].trajectory[0]["tool_calls"][0]["result"]
    assert len(stored) < 600
