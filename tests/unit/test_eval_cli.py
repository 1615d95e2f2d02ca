"""`memento eval`'s data-set selection: names, splits, limits, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from memento.cli.eval import load_tasks


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


def test_gsm8k_name_and_split() -> None:
    try:
        train = load_tasks("gsm8k:train", "test", 2, skip_bad=False)
    except FileNotFoundError:
        pytest.skip("../shared/data is not beside this checkout")
    test = load_tasks("gsm8k", "test", 2, skip_bad=False)
    assert len(train) == len(test) == 2
    assert train[0].question != test[0].question
    assert train[0].answers and train[0].answers[0].replace(",", "").lstrip("-").isdigit()
