"""The results log of an evaluation: one JSON line per finished task, appended and fsynced.

Resuming reads the log back and skips every (memory, round, phase, task) already recorded, so
a crash or Ctrl-C loses at most the tasks in flight and never counts one twice. A task that
failed to run is tried again on resume; its new line supersedes the old one (the last line of a
key wins). A torn last line (the process died mid-write) is dropped when the log is opened.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from memory.bank.redaction import redact

Phase = Literal["train", "eval"]


class TaskResult(BaseModel):
    """What one task gave in one phase of one round."""

    memory: str
    round: int
    phase: Phase
    task_id: str
    question: str
    answer: str = ""
    reward: float | None = None
    correct: bool | None = None
    judge: str = ""
    error: str | None = None
    case_written: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    retrieved: list[str] = Field(default_factory=list)
    run_id: str = ""
    trajectory: list[dict[str, Any]] = Field(
        default_factory=list, description="The steps, as a case keeps them (texts cut)."
    )

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.memory, self.round, self.phase, self.task_id)

    @property
    def failed_to_run(self) -> bool:
        """The task crashed (endpoint hiccup, server error): no answer was judged."""
        return self.reward is None and self.error is not None


class ResultsLog:
    """Append-only JSONL of TaskResults with resume support."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._results: dict[tuple[str, int, str, str], TaskResult] = {}
        self._lock = threading.Lock()  # tasks append from worker threads
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        complete, torn = lines[:-1], lines[-1]
        for number, line in enumerate(complete, start=1):
            if line.strip():
                try:
                    result = TaskResult.model_validate_json(line)
                except ValueError as exc:
                    raise ValueError(
                        f"{self.path}: line {number} is not a task result: {exc}"
                    ) from exc
                self._results[result.key] = result
        if torn.strip():  # the process died while writing this line: drop it
            with self.path.open("r+b") as handle:
                handle.truncate(len(raw) - len(torn))

    def __contains__(self, key: tuple[str, int, str, str]) -> bool:
        """Whether that task is done: recorded, and not a failure to run (which is retried)."""
        result = self._results.get(key)
        return result is not None and not result.failed_to_run

    def __len__(self) -> int:
        return len(self._results)

    def __iter__(self) -> Iterator[TaskResult]:
        return iter(self._results.values())

    def append(self, result: TaskResult) -> None:
        """Record a result durably (one write + fsync); a repeat of a done task is ignored.

        Secrets from the environment are redacted from it first (memory.bank.redaction)."""
        line = (json.dumps(redact(result.model_dump(mode="json"))) + "\n").encode()
        with self._lock:
            if result.key in self:
                return
            with self.path.open("ab") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self._results[result.key] = result

    def of(self, memory: str, phase: Phase) -> list[TaskResult]:
        return [r for r in self._results.values() if r.memory == memory and r.phase == phase]


def accuracy(results: list[TaskResult]) -> tuple[float | None, int, int]:
    """(accuracy over judged tasks, judged, unjudged): an unjudged task is never counted wrong."""
    judged = [r for r in results if r.correct is not None]
    unjudged = len(results) - len(judged)
    if not judged:
        return None, 0, unjudged
    return sum(r.correct for r in judged) / len(judged), len(judged), unjudged


@dataclass
class Tally:
    """Running counts of one phase's results, updated per task (not recounted from the log)."""

    done: int = 0
    correct: int = 0
    judged: int = 0
    unjudged: int = 0
    failed: int = 0

    @classmethod
    def of(cls, results: Iterable[TaskResult]) -> Tally:
        tally = cls()
        for result in results:
            tally.add(result)
        return tally

    def add(self, result: TaskResult) -> None:
        self.done += 1
        if result.failed_to_run:
            self.failed += 1
        elif result.correct is None:
            self.unjudged += 1
        else:
            self.judged += 1
            self.correct += int(result.correct)

    def describe(self) -> str:
        """'accuracy 0.625 (8 judged, 1 unjudged, 0 failed)'."""
        shown = f"{self.correct / self.judged:.3f}" if self.judged else "n/a"
        return (
            f"accuracy {shown} ({self.judged} judged, {self.unjudged} unjudged, "
            f"{self.failed} failed)"
        )


def dump(path: Path, data: object) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)
