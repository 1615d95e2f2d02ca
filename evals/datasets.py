"""Data set loaders: every data set becomes a list of typed `Task`s with their accepted answers.

The shared evaluation data (`shared/data`, see its README) sits next to the repository; set
`MEMENTO_DATA_DIR` to use another copy. Each loader reads one real file format:

- gsm8k (train / test JSONL): the answer after `#### ` is the ground truth (with and without
  thousands separators); the worked solution is kept in `metadata["solution"]`.
- hotpotqa100 (`questions.json`, a JSON array): `_id`, answer, and the supporting facts, level,
  type and context paragraphs in metadata; `hotpotqa_corpus_path()` gives the passages file.
- deepresearcher (`test.jsonl`): `ground_truth` holds aliases joined by `<|answer_split|>`.
- simpleqa (CSV with columns metadata, question, true_answer): the metadata column is a Python
  dict literal (topic, answer_type, urls) and is parsed.
- a user's own JSONL: `question` plus `answer` (a string, aliases may be joined by
  `<|answer_split|>`, or a number) or `answers` (a list); optional `id` and `metadata`, other keys
  go into metadata.

A malformed record raises `DatasetError` naming the file and line (or array item); with
`skip_bad=True` it is skipped and listed in `TaskSet.skipped` instead.
`Task`, `TaskSet` and `DatasetError` are defined in `task_set.py`, the record checks the
loaders share in `dataset_records.py`; import them from here.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from evals.dataset_records import (
    BadRecord,
    python_dict,
    reject,
    required_text,
    split_aliases,
    tasks_from_jsonl,
    unique,
    user_answers,
)
from evals.task_set import DatasetError, SkippedRecord, Task, TaskSet

# The loaders, and what they return (defined in task_set.py).
__all__ = [
    "DATA_DIR_ENV",
    "SHARED_DATASETS",
    "DatasetError",
    "SkippedRecord",
    "Task",
    "TaskSet",
    "data_dir",
    "hotpotqa_corpus_path",
    "load_dataset",
    "load_deepresearcher",
    "load_gsm8k",
    "load_hotpotqa100",
    "load_jsonl",
    "load_simpleqa",
]

DATA_DIR_ENV = "MEMENTO_DATA_DIR"
SHARED_DATASETS = ("gsm8k-train", "gsm8k-test", "hotpotqa100", "deepresearcher", "simpleqa")


def data_dir() -> Path:
    """`$MEMENTO_DATA_DIR`, else `shared/data` next to the repository."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_gsm8k(
    split: Literal["train", "test"] = "test", *, root: Path | None = None, skip_bad: bool = False
) -> TaskSet:
    """GSM8K's train or test split; the answer is the number after `#### `."""
    if split not in ("train", "test"):
        raise ValueError(f"gsm8k split must be 'train' or 'test', got {split!r}")
    path = _existing(root, "gsm8k", f"{split}.jsonl")

    def parse(record: Any, line: int) -> Task:
        question, text = required_text(record, "question"), required_text(record, "answer")
        if "####" not in text:
            raise BadRecord("answer has no '#### N' final answer")
        solution, final = (part.strip() for part in text.rsplit("####", 1))
        if not final:
            raise BadRecord("nothing after '####'")
        aliases = unique([final.replace(",", ""), final])
        metadata = {"solution": solution, "line": line}
        return Task(
            id=f"gsm8k-{split}-{line}", question=question, answers=aliases, metadata=metadata
        )

    return tasks_from_jsonl(f"gsm8k-{split}", path, parse, skip_bad)


def load_hotpotqa100(*, root: Path | None = None, skip_bad: bool = False) -> TaskSet:
    """The 100 HotpotQA questions answerable from `hotpotqa_corpus_path()` (items numbered 1..)."""
    path = _existing(root, "hotpotqa100", "questions.json")
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(path, exc.lineno, f"not valid JSON: {exc.msg}") from exc
    if not isinstance(items, list):
        raise DatasetError(path, 1, "expected a JSON array of questions")
    tasks = TaskSet("hotpotqa100", path)
    for number, item in enumerate(items, start=1):
        try:
            question, answer = required_text(item, "question"), required_text(item, "answer")
            extra = {
                k: item[k] for k in ("supporting_facts", "level", "type", "context") if k in item
            }
            task_id = str(item.get("_id") or f"hotpotqa100-{number}")
            tasks.tasks.append(
                Task(id=task_id, question=question, answers=[answer], metadata=extra)
            )
        except BadRecord as exc:
            reject(tasks, path, number, str(exc), skip_bad, unit="item")
    return tasks


def hotpotqa_corpus_path(*, root: Path | None = None) -> Path:
    """The passages (`{title: [sentences]}`) that together answer the 100 questions."""
    return _existing(root, "hotpotqa100", "corpus.json")


def load_deepresearcher(*, root: Path | None = None, skip_bad: bool = False) -> TaskSet:
    """The DeepResearcher test set (the Memento paper's Table 1); `data_source` in metadata."""
    path = _existing(root, "deepresearcher", "test.jsonl")

    def parse(record: Any, line: int) -> Task:
        question = required_text(record, "question")
        answers = split_aliases(required_text(record, "ground_truth"))
        metadata = {"data_source": record.get("data_source"), "line": line}
        return Task(
            id=f"deepresearcher-{line}", question=question, answers=answers, metadata=metadata
        )

    return tasks_from_jsonl("deepresearcher", path, parse, skip_bad)


def load_simpleqa(*, root: Path | None = None, skip_bad: bool = False) -> TaskSet:
    """SimpleQA (CSV: metadata, question, true_answer); ids count data rows from 1."""
    path = _existing(root, "simpleqa", "simple_qa_test_set.csv")
    tasks = TaskSet("simpleqa", path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"metadata", "question", "true_answer"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(path, 1, f"header lacks column(s) {', '.join(sorted(missing))}")
        line = reader.line_num
        for row_number, row in enumerate(reader, start=1):
            first_line, line = line + 1, reader.line_num
            try:
                question, answer = required_text(row, "question"), required_text(row, "true_answer")
                metadata = {**python_dict(row.get("metadata") or ""), "row": row_number}
                task_id = f"simpleqa-{row_number}"
                tasks.tasks.append(
                    Task(id=task_id, question=question, answers=[answer], metadata=metadata)
                )
            except BadRecord as exc:
                reject(tasks, path, first_line, str(exc), skip_bad)
    return tasks


def load_jsonl(
    path: Path | str,
    *,
    name: str | None = None,
    skip_bad: bool = False,
    require_answers: bool = True,
) -> TaskSet:
    """A user's own tasks, one JSON object a line (blank lines are ignored).

    Each object has `question` and `answer` or `answers`; with `require_answers=False` a task
    may have none (it is then judged without a ground truth).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no task file at {path}")
    stem = name or path.stem

    def parse(record: Any, line: int) -> Task:
        question = required_text(record, "question")
        answers = user_answers(record)
        if require_answers and not answers:
            raise BadRecord("no 'answer' or 'answers' (pass require_answers=False to allow)")
        metadata = record.get("metadata", {})
        if not isinstance(metadata, dict):
            raise BadRecord("'metadata' must be an object")
        known = {"id", "question", "answer", "answers", "metadata"}
        metadata = {**{k: v for k, v in record.items() if k not in known}, **metadata}
        task_id = str(record.get("id") or f"{stem}-{line}")
        return Task(id=task_id, question=question, answers=answers, metadata=metadata)

    return tasks_from_jsonl(stem, path, parse, skip_bad)


def load_dataset(name: str, *, root: Path | None = None, skip_bad: bool = False) -> TaskSet:
    """A shared data set by name (see SHARED_DATASETS), or a path to the user's own JSONL."""
    loaders: dict[str, Callable[[], TaskSet]] = {
        "gsm8k-train": lambda: load_gsm8k("train", root=root, skip_bad=skip_bad),
        "gsm8k-test": lambda: load_gsm8k("test", root=root, skip_bad=skip_bad),
        "hotpotqa100": lambda: load_hotpotqa100(root=root, skip_bad=skip_bad),
        "deepresearcher": lambda: load_deepresearcher(root=root, skip_bad=skip_bad),
        "simpleqa": lambda: load_simpleqa(root=root, skip_bad=skip_bad),
    }
    if name in loaders:
        return loaders[name]()
    if name.endswith(".jsonl") or Path(name).is_file():
        return load_jsonl(name, skip_bad=skip_bad)
    raise ValueError(
        f"unknown data set {name!r}: use one of {', '.join(SHARED_DATASETS)} or a .jsonl path"
    )


def _existing(root: Path | None, *parts: str) -> Path:
    base = Path(root) if root is not None else data_dir()
    path = base.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(
            f"no data file at {path}; put the shared data next to the repository or set "
            f"{DATA_DIR_ENV} to a folder holding {'/'.join(parts)}"
        )
    return path
