"""A planted API key never reaches the model (through a tool), a stored case, its trajectory,
the CLI's output, the eval log or an exported bank."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool

from evals.results import ResultsLog, TaskResult
from memento.cli.progress import ProgressPrinter
from memory import CaseBank
from memory.care.transfer import export_jsonl
from tests.conftest import make_context
from tests.fakes import (
    ScriptedChatModel,
    final_plan_reply,
    plan_reply,
    run_task,
    scripted,
    tool_call,
)

PLANTED = "sk-planted-secret-0123456789abcdef"


def _leaking_tool_and_model(
    variable: str, executor_says: str
) -> tuple[StructuredTool, ScriptedChatModel]:
    """A tool that prints `variable`'s value, and a model that calls it and repeats the key."""

    def leak(query: str) -> str:
        return f"env: {variable}={PLANTED}"

    tool = StructuredTool.from_function(leak, name="env_dump", description="Dumps env.")
    model = scripted(
        plan_reply(("dump the env", "env_dump")),
        tool_call("env_dump", query="all"),
        AIMessage(content=executor_says),
        final_plan_reply(f"it was {PLANTED}"),
    )
    return tool, model


async def test_a_key_in_the_environment_and_in_a_tool_result_is_never_stored(
    graph_for, bank: CaseBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    tool, model = _leaking_tool_and_model("OPENAI_API_KEY", f"the key is {PLANTED}")
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


async def test_the_model_the_eval_log_and_an_export_never_see_a_planted_key(
    graph_for, bank: CaseBank, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", PLANTED)
    tool, model = _leaking_tool_and_model("MY_SERVICE_TOKEN", "done")
    state = await run_task(
        graph_for(model, tools=[tool]),
        {"task": "Dump the environment", "ground_truth": "no"},
        context=make_context(),
    )
    seen_by_model = "".join(str(m.content) for call in model.calls for m in call["messages"])
    assert "[redacted MY_SERVICE_TOKEN]" in seen_by_model and PLANTED not in seen_by_model

    log = ResultsLog(tmp_path / "results.jsonl")
    log.append(
        TaskResult(
            memory="kernel", round=0, phase="eval", task_id="t1",
            question="Dump the environment", answer=state["final_answer"], reward=0.0,
        )
    )  # fmt: skip
    exported = tmp_path / "bank.jsonl"
    export_jsonl(bank, exported)
    for path in (log.path, exported):
        text = path.read_text()
        assert PLANTED not in text and "[redacted MY_SERVICE_TOKEN]" in text, path.name


async def test_a_key_as_a_tool_call_argument_name_is_stored_nowhere(
    graph_for, bank: CaseBank, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Redaction rewrites dict keys as well as values: a model that names an argument after
    the key leaves it in neither the stored trajectory nor an export."""
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    model = scripted(
        plan_reply(("compute it", "calculate")),
        tool_call("calculate", expression="17*23+4", **{PLANTED: "1"}),
        AIMessage(content="395"),
        final_plan_reply("395"),
    )
    await run_task(
        graph_for(model), {"task": "What is 17 * 23 + 4?", "ground_truth": "395"},
        context=make_context(),
    )  # fmt: skip
    (case,) = bank.list_cases()
    (call,) = case.trajectory[0]["tool_calls"]
    assert set(call["args"]) == {"expression", "[redacted OPENAI_API_KEY]"}
    exported = tmp_path / "bank.jsonl"
    export_jsonl(bank, exported)
    assert PLANTED not in case.model_dump_json() and PLANTED not in exported.read_text()
