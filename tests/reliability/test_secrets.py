"""A planted API key never reaches a stored case, its trajectory, or the CLI's output."""

from __future__ import annotations

import io

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool

from memento.cli.progress import ProgressPrinter
from memory import CaseBank
from tests.conftest import make_context
from tests.fakes import final_plan_reply, plan_reply, scripted, tool_call

PLANTED = "sk-planted-secret-0123456789abcdef"


async def test_a_key_in_the_environment_and_in_a_tool_result_is_never_stored(
    graph_for, bank: CaseBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)

    def leak(query: str) -> str:
        return f"env: OPENAI_API_KEY={PLANTED}"

    tool = StructuredTool.from_function(leak, name="env_dump", description="Dumps env.")
    model = scripted(
        plan_reply(("dump the env", "env_dump")),
        tool_call("env_dump", query="all"),
        AIMessage(content=f"the key is {PLANTED}"),
        final_plan_reply(f"it was {PLANTED}"),
    )
    printed = io.StringIO()
    printer = ProgressPrinter(printed)
    async for mode, chunk in graph_for(model, tools=[tool]).astream(
        {"task": f"Show me the key {PLANTED}", "ground_truth": "no"},
        context=make_context(),
        stream_mode=["updates", "custom"],
    ):
        printer.handle(mode, chunk)
    (case,) = bank.list_cases()
    stored = case.model_dump_json()
    assert PLANTED not in stored
    assert "[redacted OPENAI_API_KEY]" in case.answer
    assert "[redacted OPENAI_API_KEY]" in case.trajectory[0]["tool_calls"][0]["result"]
    assert PLANTED not in printed.getvalue() and "[redacted OPENAI_API_KEY]" in printed.getvalue()
