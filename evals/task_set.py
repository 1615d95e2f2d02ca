"""What a data set loads into: typed `Task`s, the `TaskSet` of one file, and its bad records.

Loaders (`evals/datasets.py`) build these; the eval runner and `memento eval` read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nodes.scorers import ALIAS_SEPARATOR


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
