"""From raw records to `Task`s: the fields every loader requires, answer aliases, bad records.

A record parser raises `BadRecord`; `reject` turns it into a `DatasetError` naming the file and
line, or, under `skip_bad=True`, into a `SkippedRecord` of the `TaskSet`.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.task_set import DatasetError, SkippedRecord, Task, TaskSet
from nodes.scorers import ALIAS_SEPARATOR


class BadRecord(Exception):
    """Raised inside a record parser; becomes a DatasetError or a skipped record."""


def tasks_from_jsonl(
    name: str, path: Path, parse: Callable[[Any, int], Task], skip_bad: bool
) -> TaskSet:
    """Each non-blank line of `path` as JSON, made a Task by `parse(record, line)`."""
    tasks = TaskSet(name, path)
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise BadRecord(f"not valid JSON: {exc.msg}") from exc
                tasks.tasks.append(parse(record, line))
            except BadRecord as exc:
                reject(tasks, path, line, str(exc), skip_bad)
    return tasks


def reject(
    tasks: TaskSet, path: Path, line: int, reason: str, skip_bad: bool, *, unit: str = "line"
) -> None:
    """Raise a DatasetError for a bad record, or under `skip_bad` note it in `tasks.skipped`."""
    if not skip_bad:
        raise DatasetError(path, line, reason, unit=unit)
    tasks.skipped.append(SkippedRecord(line, reason))


def required_text(record: Any, key: str) -> str:
    """A required non-empty text field (numbers are accepted and written as text)."""
    if not isinstance(record, dict):
        raise BadRecord(f"expected a JSON object, got {type(record).__name__}")
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRecord(f"missing or non-text {key!r}")
    text = str(value).strip()
    if not text:
        raise BadRecord(f"empty {key!r}")
    return text


def user_answers(record: dict[str, Any]) -> list[str]:
    """A user's `answers` (a list, or aliases in one string) or `answer`; [] for neither."""
    if "answers" in record:
        value = record["answers"]
        if isinstance(value, str):
            return split_aliases(value)
        if not isinstance(value, list) or not all(
            isinstance(a, str | int | float) and not isinstance(a, bool) for a in value
        ):
            raise BadRecord("'answers' must be a list of strings")
        return unique([str(a).strip() for a in value if str(a).strip()])
    if "answer" in record and record["answer"] is not None:
        return split_aliases(required_text(record, "answer"))
    return []


def split_aliases(text: str) -> list[str]:
    """The aliases joined by `ALIAS_SEPARATOR`, stripped, in order, without repeats."""
    aliases = unique([a.strip() for a in text.split(ALIAS_SEPARATOR) if a.strip()])
    if not aliases:
        raise BadRecord("no answer text")
    return aliases


def python_dict(text: str) -> dict[str, Any]:
    """A Python dict literal (SimpleQA's metadata column); {} for blank text."""
    if not text.strip():
        return {}
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise BadRecord(f"metadata is not a Python dict literal: {exc}") from exc
    if not isinstance(value, dict):
        raise BadRecord("metadata is not a dict")
    return value


def unique(items: list[str]) -> list[str]:
    """`items` in order, without repeats."""
    return list(dict.fromkeys(items))
