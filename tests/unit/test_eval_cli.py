"""`memento eval`'s data-set selection: names, splits, limits, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from memento.cli import main
from memento.cli.eval import load_tasks
from tests.conftest import write_lines


def test_a_user_jsonl_is_cut_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(f'{{"question": "q{i}?", "answer": "{i}"}}\n' for i in range(5)))
    tasks = load_tasks(str(path), None, 3, skip_bad=False)
    assert [t.question for t in tasks] == ["q0?", "q1?", "q2?"]
    assert tasks.path == path


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(ValueError, match="no tasks"):
        load_tasks(str(path), None, None, skip_bad=False)


def test_gsm8k_name_and_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`gsm8k:train` and `gsm8k` with `--split test` read their own files (a copy in the
    real format under $MEMENTO_DATA_DIR, so the test never depends on shared data)."""
    for split in ("train", "test"):
        lines = [
            f'{{"question": "{split} question {i}?", "answer": "work...\\n#### {i}"}}\n'
            for i in range(3)
        ]
        write_lines(tmp_path / "gsm8k" / f"{split}.jsonl", [line.strip() for line in lines])
    monkeypatch.setenv("MEMENTO_DATA_DIR", str(tmp_path))
    train = load_tasks("gsm8k:train", "test", 2, skip_bad=False)
    test = load_tasks("gsm8k", "test", 2, skip_bad=False)
    assert [t.question for t in train] == ["train question 0?", "train question 1?"]
    assert [t.question for t in test] == ["test question 0?", "test question 1?"]
    assert train[1].answers == ["1"]


def test_a_missing_data_set_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMENTO_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="gsm8k"):
        load_tasks("gsm8k", "test", 2, skip_bad=False)


def test_eval_shows_a_bar_per_phase_and_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the CLI against a loopback endpoint: off a terminal each phase prints lines
    with count, rate and time left (stderr); the summary and the report's path go to stdout."""
    from tests.report_world import PLAN, run_eval_cli

    assert run_eval_cli(tmp_path) == 0
    out, err = capsys.readouterr()
    tests = len(PLAN.test_tasks)
    for phase in ("none round 0 eval", "kernel round 0 eval", f"kernel round {PLAN.rounds} eval"):
        finished = [line for line in err.splitlines() if line.startswith(f"{phase}: {tests}/")]
        assert finished, err
        assert re.search(r"\[\d\d:\d\d<\d\d:\d\d,\s+[\d.]+task/s\], accuracy", finished[-1])
    assert f"kernel round 1 train: {len(PLAN.train_tasks)}/" in err
    assert "memory none learns nothing, so it runs one round (not --rounds 2)" in err
    assert f"report:  {tmp_path / 'run' / 'report.html'}" in out
    assert (tmp_path / "run" / "report.html").stat().st_size > 0


def test_eval_takes_max_cycles_for_its_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {}

    async def run_evaluation(settings, plan, out, label) -> None:
        seen["context"] = settings.context

    monkeypatch.setattr("memento.cli.eval.run_evaluation", run_evaluation)
    questions = write_lines(tmp_path / "q.jsonl", ['{"question": "1 + 1?", "answer": "2"}'])
    out = str(tmp_path / "run")
    assert main(["eval", str(questions), "--max-cycles", "1", "--out", out]) == 0
    assert seen["context"].max_cycles == 1
