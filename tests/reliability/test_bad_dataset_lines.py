"""A data set file with broken lines: an error naming file and line, or skipped and counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.datasets import DatasetError, load_jsonl
from tests.conftest import write_lines


def test_a_broken_line_raises_an_error_naming_file_and_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "bad.jsonl",
        [json.dumps({"question": "ok", "answer": "1"}), '{"question": "cut off', "[1, 2]"],
    )
    with pytest.raises(DatasetError) as info:
        load_jsonl(path)
    assert str(path) in str(info.value) and "line 2" in str(info.value)
    assert info.value.line == 2 and "not valid JSON" in info.value.reason


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"answer": "1"}, "question"),
        ({"question": "   ", "answer": "1"}, "empty 'question'"),
        ({"question": "q"}, "no 'answer' or 'answers'"),
        ({"question": "q", "answers": [["nested"]]}, "list of strings"),
        ({"question": "q", "answer": "1", "metadata": [1]}, "metadata"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_each_kind_of_malformed_record_is_rejected_with_its_reason(
    tmp_path: Path, record: object, reason: str
) -> None:
    path = write_lines(tmp_path / "t.jsonl", [json.dumps(record)])
    with pytest.raises(DatasetError, match=reason):
        load_jsonl(path)


def test_skip_bad_skips_and_counts_broken_lines(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "mixed.jsonl",
        [
            json.dumps({"question": "a", "answer": "1"}),
            "not json",
            json.dumps({"question": "b"}),
            json.dumps({"question": "c", "answers": ["3"]}),
        ],
    )
    tasks = load_jsonl(path, skip_bad=True)
    assert [t.question for t in tasks] == ["a", "c"]
    assert [s.line for s in tasks.skipped] == [2, 3]
