"""The evaluation harness: protocols, resume after a crash, no writes while measuring."""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path

import pytest

from evals.report import format_table, summarize
from evals.results import ResultsLog, TaskResult
from evals.runner import EvalPlan, EvalRunner, PhaseProgress
from graphs import build_graph
from memory import CaseBank
from nodes import MementoDeps
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, RuleChatModel, final_plan_reply, sums


class Crash(Exception):
    """Stands in for a kill or Ctrl-C in the middle of a run."""


def adder() -> RuleChatModel:
    """Answers 'What is a plus b?' right when a is even, or when the planner is shown a case
    that succeeded (it learns the method from memory); wrong otherwise."""

    def rule(messages, kwargs):
        task = next(m.content for m in messages if str(m.content).startswith("Task:"))
        a, b = map(int, re.findall(r"\d+", task)[:2])
        shown = str(messages[0].content)
        successes = shown.split("Successful cases:")[1].split("Failed cases:")[0]
        learned = "- Q:" in successes
        return final_plan_reply(str(a + b + (0 if learned else a % 2)))

    return RuleChatModel(messages=iter(()), calls=[], rule=rule)


def _runner(
    bank: CaseBank, model: RuleChatModel, log: ResultsLog, crash_after: int | None = None
) -> EvalRunner:
    deps = MementoDeps(bank=bank, embedder=HashingEmbedder(), chat_model=lambda c, r: model)
    finished = []

    def progress(line: str) -> None:
        finished.append(line)
        if crash_after is not None and len(finished) >= crash_after:
            raise Crash()

    return EvalRunner(build_graph(deps), make_context(namespace="t"), log, progress)


def _plan() -> EvalPlan:
    return EvalPlan(
        test_tasks=sums(100, 4),
        train_tasks=sums(0, 6),
        memories=("none", "kernel"),
        rounds=2,
        concurrency=3,
    )


async def test_held_out_protocol_measures_without_writing(tmp_path: Path) -> None:
    with CaseBank(":memory:", dim=64) as bank:
        log = ResultsLog(tmp_path / "results.jsonl")
        await _runner(bank, adder(), log).run(_plan())
        assert bank.count(namespace="t-none") == 0
        cases = bank.list_cases(namespace="t-kernel")
        attempts = Counter()
        for case in cases:  # a question answered alike twice is one case, else two
            attempts[case.question] += case.attempts
        assert attempts == {t.question: 2 for t in sums(0, 6)}  # two training rounds
        assert not any(r.case_written for r in log if r.phase == "eval")
    summary = summarize(log)
    rows = {(r["memory"], r["round"]): r for r in summary["rows"]}
    assert set(rows) == {("none", 0), ("kernel", 0), ("kernel", 1), ("kernel", 2)}
    assert all(row["judged"] == 4 for row in rows.values())
    # "none" learns nothing: measured once, as the baseline; memory lifts the held-out tasks
    accuracies = {key: row["accuracy"] for key, row in rows.items()}
    assert accuracies == {
        ("none", 0): 0.5,
        ("kernel", 0): 0.5,
        ("kernel", 1): 1.0,
        ("kernel", 2): 1.0,
    }
    assert summary["protocol"] == "held-out"
    assert "| kernel | 2 | 1.000 | 4 | 0 | 0 |" in format_table(summary)


async def test_resume_after_a_crash_gives_the_same_totals(tmp_path: Path) -> None:
    with CaseBank(":memory:", dim=64) as bank:
        whole = ResultsLog(tmp_path / "whole.jsonl")
        await _runner(bank, adder(), whole).run(_plan())
    with CaseBank(":memory:", dim=64) as bank:
        path = tmp_path / "resumed.jsonl"
        with pytest.raises(Crash):
            await _runner(bank, adder(), ResultsLog(path), crash_after=17).run(_plan())
        partial = len(ResultsLog(path))
        assert 0 < partial < len(whole)
        with path.open("a") as handle:
            handle.write('{"memory": "kernel", "round": 9, "pha')  # torn by the crash
        resumed = ResultsLog(path)
        await _runner(bank, adder(), resumed).run(_plan())
    assert summarize(resumed) == summarize(whole)
    lines = path.read_text().splitlines()
    keys = [TaskResult.model_validate_json(line).key for line in lines]
    assert len(keys) == len(set(keys)) == len(whole)


async def test_same_questions_protocol_is_labelled_as_the_papers(tmp_path: Path) -> None:
    with CaseBank(":memory:", dim=64) as bank:
        log = ResultsLog(tmp_path / "r.jsonl")
        plan = EvalPlan(test_tasks=sums(0, 3), memories=("kernel",), rounds=2)
        await _runner(bank, adder(), log).run(plan)
        questions = {c.question for c in bank.list_cases(namespace="t-kernel")}
        assert questions == {t.question for t in sums(0, 3)}  # one or more attempts each
    summary = summarize(log)
    assert summary["protocol"].startswith("same-questions")
    assert [r["round"] for r in summary["rows"]] == [1, 2]


def test_a_corrupt_line_in_the_middle_is_named(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("not json\n")
    with pytest.raises(ValueError, match="line 1 is not a task result"):
        ResultsLog(path)


def test_a_task_that_failed_to_run_is_retried_on_resume_and_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    log = ResultsLog(path)
    failed = TaskResult(
        memory="none", round=0, phase="eval", task_id="q1", question="?", error="HTTP 500"
    )
    log.append(failed)
    assert failed.key not in log  # to be run again
    log.append(failed.model_copy(update={"error": None, "reward": 1.0, "correct": True}))
    reopened = ResultsLog(path)
    assert len(reopened) == 1 and next(iter(reopened)).correct is True
    assert len(path.read_text().splitlines()) == 2  # the old line stays; the newer one wins


async def test_the_learning_curve_is_drawn(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from evals.report import plot_curve

    with CaseBank(":memory:", dim=64) as bank:
        log = ResultsLog(tmp_path / "r.jsonl")
        await _runner(bank, adder(), log).run(_plan())
    path = plot_curve(summarize(log), tmp_path / "curve.png", "sums")
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    from evals.charts import COLOURS
    from tests.chart_shots import pixels_of, rgb, widest_row

    image = Image.open(path).convert("RGB")  # drawn like the page's: curve and baseline
    assert pixels_of(image, rgb(COLOURS["kernel"])) > 300
    assert widest_row(image, rgb(COLOURS["none"])) > 200


async def test_results_are_written_off_the_event_loop_and_progress_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each result's fsync runs in a worker thread; the progress line counts as it goes."""
    threads: list[threading.Thread] = []
    append = ResultsLog.append

    def recording(self: ResultsLog, result: TaskResult) -> None:
        threads.append(threading.current_thread())
        append(self, result)

    monkeypatch.setattr(ResultsLog, "append", recording)
    events: list[PhaseProgress] = []
    with CaseBank(":memory:", dim=64) as bank:
        deps = MementoDeps(bank=bank, embedder=HashingEmbedder(), chat_model=lambda c, r: adder())
        runner = EvalRunner(
            build_graph(deps),
            make_context(namespace="t"),
            ResultsLog(tmp_path / "r"),
            events.append,
        )
        await runner.run(EvalPlan(test_tasks=sums(0, 4), memories=("none",), rounds=1))
    assert len(threads) == 4 and threading.main_thread() not in threads
    assert [e.done for e in events] == [0, 1, 2, 3, 4]  # the phase's start, then each task
    assert (
        str(events[-1])
        == "none round 1 train: 4/4  accuracy 0.500 (4 judged, 0 unjudged, 0 failed)"
    )
