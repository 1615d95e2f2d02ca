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
"""

from __future__ import annotations

import ast
import csv
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nodes.scorers import ALIAS_SEPARATOR

DATA_DIR_ENV = "MEMENTO_DATA_DIR"
SHARED_DATASETS = ("gsm8k-train", "gsm8k-test", "hotpotqa100", "deepresearcher", "simpleqa")


class Task(BaseModel):
    """One evaluation item: a question and the answers that count as correct (aliases)."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    answers: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def ground_truth(self) -> str | None:
        """The answers as one ground-truth string (aliases joined), or None without answers."""
        return ALIAS_SEPARATOR.join(self.answers) if self.answers else None


class DatasetError(ValueError):
    """A record that cannot become a Task; names the file and the line (or item)."""

    def __init__(self, path: Path, line: int, reason: str, *, unit: str = "line") -> None:
        super().__init__(f"{path}: {unit} {line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass(frozen=True)
class SkippedRecord:
    """A malformed record left out under `skip_bad=True`."""

    line: int
    reason: str


@dataclass
class TaskSet:
    """The tasks loaded from one file, and the records skipped on the way."""

    name: str
    path: Path
    tasks: list[Task] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def __getitem__(self, index: int) -> Task:
        return self.tasks[index]


class _BadRecord(Exception):
    """Raised inside a record parser; becomes a DatasetError or a skipped record."""


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
        question, text = _field(record, "question"), _field(record, "answer")
        if "####" not in text:
            raise _BadRecord("answer has no '#### N' final answer")
        solution, final = (part.strip() for part in text.rsplit("####", 1))
        if not final:
            raise _BadRecord("nothing after '####'")
        aliases = _unique([final.replace(",", ""), final])
        metadata = {"solution": solution, "line": line}
        return Task(
            id=f"gsm8k-{split}-{line}", question=question, answers=aliases, metadata=metadata
        )

    return _from_jsonl(f"gsm8k-{split}", path, parse, skip_bad)


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
            question, answer = _field(item, "question"), _field(item, "answer")
            extra = {
                k: item[k] for k in ("supporting_facts", "level", "type", "context") if k in item
            }
            task_id = str(item.get("_id") or f"hotpotqa100-{number}")
            tasks.tasks.append(
                Task(id=task_id, question=question, answers=[answer], metadata=extra)
            )
        except _BadRecord as exc:
            _reject(tasks, path, number, str(exc), skip_bad, unit="item")
    return tasks


def hotpotqa_corpus_path(*, root: Path | None = None) -> Path:
    """The passages (`{title: [sentences]}`) that together answer the 100 questions."""
    return _existing(root, "hotpotqa100", "corpus.json")


def load_deepresearcher(*, root: Path | None = None, skip_bad: bool = False) -> TaskSet:
    """The DeepResearcher test set (the Memento paper's Table 1); `data_source` in metadata."""
    path = _existing(root, "deepresearcher", "test.jsonl")

    def parse(record: Any, line: int) -> Task:
        question = _field(record, "question")
        answers = _split_aliases(_field(record, "ground_truth"))
        metadata = {"data_source": record.get("data_source"), "line": line}
        return Task(
            id=f"deepresearcher-{line}", question=question, answers=answers, metadata=metadata
        )

    return _from_jsonl("deepresearcher", path, parse, skip_bad)


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
                question, answer = _field(row, "question"), _field(row, "true_answer")
                metadata = {**_python_dict(row.get("metadata") or ""), "row": row_number}
                task_id = f"simpleqa-{row_number}"
                tasks.tasks.append(
                    Task(id=task_id, question=question, answers=[answer], metadata=metadata)
                )
            except _BadRecord as exc:
                _reject(tasks, path, first_line, str(exc), skip_bad)
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
        question = _field(record, "question")
        answers = _user_answers(record)
        if require_answers and not answers:
            raise _BadRecord("no 'answer' or 'answers' (pass require_answers=False to allow)")
        metadata = record.get("metadata", {})
        if not isinstance(metadata, dict):
            raise _BadRecord("'metadata' must be an object")
        known = {"id", "question", "answer", "answers", "metadata"}
        metadata = {**{k: v for k, v in record.items() if k not in known}, **metadata}
        task_id = str(record.get("id") or f"{stem}-{line}")
        return Task(id=task_id, question=question, answers=answers, metadata=metadata)

    return _from_jsonl(stem, path, parse, skip_bad)


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


# -- helpers ---------------------------------------------------------------------------------


def _existing(root: Path | None, *parts: str) -> Path:
    base = Path(root) if root is not None else data_dir()
    path = base.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(
            f"no data file at {path}; put the shared data next to the repository or set "
            f"{DATA_DIR_ENV} to a folder holding {'/'.join(parts)}"
        )
    return path


def _from_jsonl(
    name: str, path: Path, parse: Callable[[Any, int], Task], skip_bad: bool
) -> TaskSet:
    tasks = TaskSet(name, path)
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise _BadRecord(f"not valid JSON: {exc.msg}") from exc
                tasks.tasks.append(parse(record, line))
            except _BadRecord as exc:
                _reject(tasks, path, line, str(exc), skip_bad)
    return tasks


def _reject(
    tasks: TaskSet, path: Path, line: int, reason: str, skip_bad: bool, *, unit: str = "line"
) -> None:
    if not skip_bad:
        raise DatasetError(path, line, reason, unit=unit)
    tasks.skipped.append(SkippedRecord(line, reason))


def _field(record: Any, key: str) -> str:
    """A required non-empty text field (numbers are accepted and written as text)."""
    if not isinstance(record, dict):
        raise _BadRecord(f"expected a JSON object, got {type(record).__name__}")
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _BadRecord(f"missing or non-text {key!r}")
    text = str(value).strip()
    if not text:
        raise _BadRecord(f"empty {key!r}")
    return text


def _user_answers(record: dict[str, Any]) -> list[str]:
    if "answers" in record:
        value = record["answers"]
        if isinstance(value, str):
            return _split_aliases(value)
        if not isinstance(value, list) or not all(
            isinstance(a, str | int | float) and not isinstance(a, bool) for a in value
        ):
            raise _BadRecord("'answers' must be a list of strings")
        return _unique([str(a).strip() for a in value if str(a).strip()])
    if "answer" in record and record["answer"] is not None:
        return _split_aliases(_field(record, "answer"))
    return []


def _split_aliases(text: str) -> list[str]:
    aliases = _unique([a.strip() for a in text.split(ALIAS_SEPARATOR) if a.strip()])
    if not aliases:
        raise _BadRecord("no answer text")
    return aliases


def _python_dict(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise _BadRecord(f"metadata is not a Python dict literal: {exc}") from exc
    if not isinstance(value, dict):
        raise _BadRecord("metadata is not a dict")
    return value


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
