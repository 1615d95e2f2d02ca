"""`memento run --thread`: a task that failed half-way resumes from its SQLite checkpoint."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from graphs.settings import ConfigError, load_settings
from memento.cli import build_parser
from memento.cli.progress import ProgressPrinter
from memento.cli.run import run_task
from nodes import ModelEndpointError
from nodes.state import Output
from tests.fakes import HashingEmbedder, final_plan_reply, plan_reply, scripted

TASK = {"task": "Name the capital of France.", "ground_truth": "Paris"}


def test_run_takes_a_thread_option() -> None:
    args = build_parser().parse_args(["run", "a task", "--thread", "t1"])
    assert args.thread == "t1"


async def test_a_task_that_failed_in_execute_resumes_on_its_thread(tmp_path: Path) -> None:
    settings = load_settings(None, store=":memory:", base_url="http://127.0.0.1:9/v1")
    settings.enabled_servers = []  # no tools: the step is answered by the executor alone
    model = scripted(
        plan_reply(("recall the capital", None)),
        AIMessage(content="It is Paris."),
        final_plan_reply("Paris"),
    )
    executor_down = True

    def chat_model(ctx, role):
        if role == "executor" and executor_down:
            raise ModelEndpointError("cannot reach the executor model (simulated)")
        return model

    async def run(out: io.StringIO, task: dict = TASK) -> Output:
        return await run_task(
            settings,
            task,
            ProgressPrinter(out),
            thread="t1",
            checkpoints=tmp_path / "checkpoints.sqlite",
            embedder=HashingEmbedder(dim=64),
            chat_model=chat_model,
        )

    first = io.StringIO()
    with pytest.raises(ModelEndpointError):
        await run(first)
    assert "thread  t1 (new)" in first.getvalue() and "plan    cycle 1:" in first.getvalue()

    executor_down = False
    with pytest.raises(ConfigError, match="holds the unfinished task"):
        await run(io.StringIO(), {"task": "Another task"})
    second = io.StringIO()
    final = await run(second)
    assert "thread  t1: resuming at execute" in second.getvalue()
    assert "plan    cycle" not in second.getvalue()  # the first plan was not made again
    assert final.final_answer == "Paris" and final.judgement.reward == 1.0

    with pytest.raises(ConfigError, match="already finished"):
        await run(io.StringIO())


async def test_a_task_holding_a_key_resumes_though_its_thread_stores_it_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkpoint holds the task with the key redacted; running the same command again
    still finds it the same task and resumes it."""
    key = "sk-resume-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    settings = load_settings(None, store=":memory:", base_url="http://127.0.0.1:9/v1")
    settings.enabled_servers = []
    model = scripted(
        plan_reply(("recall the capital", None)),
        AIMessage(content="It is Paris."),
        final_plan_reply("Paris"),
    )
    executor_down = True

    def chat_model(ctx, role):
        if role == "executor" and executor_down:
            raise ModelEndpointError("cannot reach the executor model (simulated)")
        return model

    async def run(out: io.StringIO) -> Output:
        task = {"task": f"Name the capital of France (token {key}).", "ground_truth": "Paris"}
        return await run_task(
            settings, task, ProgressPrinter(out), thread="t-key",
            checkpoints=tmp_path / "checkpoints.sqlite", embedder=HashingEmbedder(dim=64),
            chat_model=chat_model,
        )  # fmt: skip

    with pytest.raises(ModelEndpointError):
        await run(io.StringIO())
    assert key.encode() not in (tmp_path / "checkpoints.sqlite").read_bytes()
    executor_down = False
    second = io.StringIO()
    final = await run(second)
    assert "thread  t-key: resuming at execute" in second.getvalue()
    assert final.final_answer == "Paris"
