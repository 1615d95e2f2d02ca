"""A synthetic, deterministic case bank that looks like a long-lived agent's: clustered tasks.

Tasks come in families (clusters): a case's embedding is its family's centre plus noise, so two
tasks of one family have cosine ~0.6 and tasks of different families ~0, much like sentence
embeddings of related and unrelated questions. The number of families grows with the square
root of the bank (a long-lived agent meets new kinds of task ever more slowly). Every task left
K=4 visits on cases of its own family, the older (lower-ranked) cases more often, p(rank r) ~
1/(r+1), so popular cases gather more visits as the bank grows, as they would under retrieval;
a task's K visits share the one target (reward) the task earned, as the product credits a step.
Everything is generated in chunks from fixed seeds, so no chunk needs the whole bank in memory.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from memory import Case, Visit, case_id_for, outcome_key

NAMESPACE = "default"
CHUNK = 2_000
NOISE = 0.8
"""Per-dimension noise around a family centre: within-family cosine ~ 1 / (1 + 0.8^2) = 0.61."""

Batch = tuple[list[tuple[Case, np.ndarray]], list[tuple[Visit, np.ndarray]]]
"""Cases with their vectors, and their tasks' visits with the tasks' states."""

_ANSWER = "The result is 42, computed with the calculator from the quantities in the question."


@dataclass
class SyntheticBank:
    """`n_cases` tasks of `dim`-d embeddings, with `visits_per_task` visits each."""

    n_cases: int
    dim: int = 384
    visits_per_task: int = 4
    seed: int = 0
    chunk: int = CHUNK
    """Tasks generated at a time (the random draws depend on it, so keep it for one bank)."""
    past_only: bool = False
    """Visits only on cases written before the task (see `visit_chunks`)."""
    n_families: int = field(init=False)
    centres: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.n_families = max(10, int(3 * math.sqrt(self.n_cases)))
        rng = np.random.default_rng([self.seed, 0])
        self.centres = rng.standard_normal((self.n_families, self.dim)).astype(np.float32)

    def family_of(self, index: np.ndarray) -> np.ndarray:
        return index % self.n_families

    def question(self, index: int) -> str:
        return f"Task {index} of family {index % self.n_families}: how much is the total?"

    def vectors(self, start: int, stop: int) -> np.ndarray:
        """Unit embeddings of cases start..stop-1 (the same every time)."""
        return self._noisy(self.family_of(np.arange(start, stop)), seed=(1, start))

    def _noisy(self, families: np.ndarray, *, seed: tuple[int, int]) -> np.ndarray:
        rng = np.random.default_rng([self.seed, *seed])
        noise = rng.standard_normal((len(families), self.dim)).astype(np.float32)
        points = self.centres[families] + NOISE * noise
        return points / np.linalg.norm(points, axis=1, keepdims=True)

    def case(self, index: int) -> Case:
        """A case with a realistic payload (~1 KB: plan, compact trajectory, answer)."""
        now = time.time()
        return Case(
            id="",
            namespace=NAMESPACE,
            question=self.question(index),
            plan=[
                "Read the quantities from the question",
                "Add them up [calculate]",
                "Report the total with its unit",
            ],
            trajectory=[
                {
                    "cycle": 0,
                    "step": "Add them up",
                    "output": _ANSWER,
                    "error": False,
                    "tool_calls": [
                        {
                            "name": "calculate",
                            "args": {"expression": "17 * 2 + 8"},
                            "result": "42",
                            "error": False,
                        }
                    ],
                }
            ],
            answer="42",
            reward=float(index % 3 != 0),
            judge_rationale="numeric match against the ground truth",
            models={"planner": "gpt-4.1", "executor": "gpt-4.1", "judge": "gpt-4.1"},
            run_id=uuid.uuid4().hex,
            created_at=now,
            updated_at=now,
        )

    def case_chunks(self, first: int = 0) -> Iterator[list[tuple[Case, np.ndarray]]]:
        """Cases `first`.. in chunks (`first` a multiple of `chunk`)."""
        for start in range(first, self.n_cases, self.chunk):
            stop = min(self.n_cases, start + self.chunk)
            vectors = self.vectors(start, stop)
            yield [(self.case(i), vectors[i - start]) for i in range(start, stop)]

    def visit_chunks(self, first: int = 0) -> Iterator[list[tuple[Visit, np.ndarray]]]:
        """K visits per task i (from `first`), on cases of i's family, state = task i's
        embedding, all with the one target task i earned (as the product credits a step: every
        case read in it earns the step's reward) and run id `run-{i}`.

        With `past_only` a task visits only cases of its family written before it, as a task of
        a growing bank reads what is there; otherwise any case of its family in the finished
        bank."""
        ids = _CaseIds(self)
        k = self.visits_per_task
        for start in range(first, self.n_cases, self.chunk):
            stop = min(self.n_cases, start + self.chunk)
            states = self.vectors(start, stop)
            rng = np.random.default_rng([self.seed, 2, start])
            tasks = np.repeat(np.arange(start, stop), k)
            families = self.family_of(tasks)
            if self.past_only:  # the family's cases before i (its first task: its own case)
                sizes = np.maximum((tasks - families) // self.n_families, 1)
            else:
                sizes = (self.n_cases - 1 - families) // self.n_families + 1
            ranks = np.floor(np.exp(rng.random(len(tasks)) * np.log(sizes + 1))).astype(int) - 1
            visited = families + np.clip(ranks, 0, sizes - 1) * self.n_families
            targets = np.repeat((rng.random(stop - start) < 0.5).astype(float), k)
            now = time.time()
            yield [
                (
                    Visit(
                        id=str(uuid.uuid4()),
                        case_id=ids[int(case)],
                        namespace=NAMESPACE,
                        target=float(target),
                        run_id=f"run-{task}",
                        cycle=0,
                        created_at=now,
                    ),
                    states[task - start],
                )
                for task, case, target in zip(tasks, visited, targets, strict=True)
            ]

    def task_batches(self, size: int, first: int = 0) -> Iterator[Batch]:
        """(cases, visits) of `size` tasks at a time from task `first` (a multiple of `chunk`),
        each case with its K visits; a batch ends at a chunk's end (`size` dividing `chunk`
        keeps them equal)."""
        k = self.visits_per_task
        for cases, visits in zip(self.case_chunks(first), self.visit_chunks(first), strict=True):
            for start in range(0, len(cases), size):
                yield cases[start : start + size], visits[start * k : (start + size) * k]

    def queries(self, n: int, *, seed: int = 7) -> np.ndarray:
        """Embeddings of `n` new tasks of known families (not in the bank)."""
        rng = np.random.default_rng([self.seed, 3, seed])
        return self._noisy(rng.integers(0, self.n_families, n), seed=(4, seed))


class _CaseIds:
    """Case ids by index, computed once each (uuid5 of the question and its outcome)."""

    def __init__(self, bank: SyntheticBank) -> None:
        self.bank = bank
        self.cache: dict[int, str] = {}

    def __getitem__(self, index: int) -> str:
        if index not in self.cache:
            case = self.bank.case(index)
            self.cache[index] = case_id_for(NAMESPACE, case.question, outcome_key(case))
        return self.cache[index]
