"""A numpy stand-in for the parts of `CaseBank` that retrieval and the Q estimators use.

Qdrant's in-memory mode evaluates payload filters in Python, so `nearest_visits` over thousands of
visits costs milliseconds to tens of milliseconds a call; a benchmark of several thousand episodes
per method and seed would not fit in its time budget. `ArrayCaseBank` keeps cases and visits in
numpy arrays and answers `add`, `search`, `case_vectors`, `add_visits` and `nearest_visits` with
the same meaning as `CaseBank` (cosine scores, the per-case nearest visits), so the product's
`KernelQ`, `ParametricQ` and `SimilarityQ` run unchanged on top of it. A test checks that both
banks give the same Q values on the same data.

It implements no namespacing beyond a single namespace, no dedup counting and no persistence:
it is for benchmarks and tests, not a product store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from memory.casebank import case_id_for
from memory.records import Case, ScoredCase, Visit, VisitMatch


class VisitHit(NamedTuple):
    """`VisitMatch`'s fields without pydantic: building ~10^6 pydantic records dominated a run."""

    case_id: str
    target: float
    cosine: float
    retrieved: bool


class ArrayCaseBank:
    """Cases and visits in numpy arrays, one namespace, cosine similarity."""

    def __init__(self, dim: int, *, namespace: str = "default") -> None:
        self.dim = dim
        self.namespace = namespace
        self._cases: list[Case] = []
        self._case_index: dict[str, int] = {}
        self._case_matrix = np.empty((0, dim))
        self._visit_vectors = np.empty((64, dim))
        self._visit_case = np.empty(64, dtype=np.int64)
        self._visit_target = np.empty(64)
        self._visit_read = np.empty(64, dtype=bool)
        self._visits = 0

    def add(self, case: Case, vector: Sequence[float]) -> Case:
        """Store a case under its dedup id (as `CaseBank.add`; a repeat replaces the vector)."""
        unit = self._unit_checked(vector)
        case_id = case_id_for(case.namespace, case.question)
        stored = case.model_copy(update={"id": case_id})
        if case_id in self._case_index:
            i = self._case_index[case_id]
            self._cases[i] = stored
            self._case_matrix[i] = unit
        else:
            self._case_index[case_id] = len(self._cases)
            self._cases.append(stored)
            self._case_matrix = np.vstack([self._case_matrix, unit])
        return stored

    def count(self) -> int:
        return len(self._cases)

    def count_visits(self) -> int:
        return self._visits

    def search(
        self,
        vector: Sequence[float],
        *,
        namespace: str,
        limit: int,
        exclude_question: str | None = None,
    ) -> list[ScoredCase]:
        """The `limit` cases most similar to `vector`, best first (exclusion not supported)."""
        if exclude_question is not None:
            raise NotImplementedError("ArrayCaseBank does not filter by question")
        scores = self._case_matrix @ self._unit_checked(vector)
        top = np.argsort(-scores, kind="stable")[:limit]
        return [ScoredCase(case=self._cases[i], similarity=float(scores[i])) for i in top]

    def case_vectors(self, case_ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored (unit) embedding of each case id that exists."""
        return {
            cid: self._case_matrix[self._case_index[cid]].tolist()
            for cid in case_ids
            if cid in self._case_index
        }

    def add_visits(self, visits: Sequence[tuple[Visit, Sequence[float]]]) -> None:
        """Record visits (each with its state vector s_j)."""
        for visit, vector in visits:
            if self._visits == len(self._visit_target):
                self._grow()
            n = self._visits
            self._visit_vectors[n] = self._unit_checked(vector)
            self._visit_case[n] = self._case_index[visit.case_id]
            self._visit_target[n] = visit.target
            self._visit_read[n] = visit.retrieved
            self._visits += 1

    def nearest_visits(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        *,
        per_case: int,
        retrieved: bool | None = None,
    ) -> list[VisitMatch]:
        """For each case, its `per_case` visits nearest to `vector` (optionally read or unread).

        The records are `VisitHit`s, which carry `VisitMatch`'s fields under the same names.
        """
        wanted = [self._case_index[c] for c in case_ids if c in self._case_index]
        n = self._visits
        if not wanted or n == 0:
            return []
        codes = self._visit_case[:n]
        keep_rows = np.isin(codes, wanted)
        if retrieved is not None:
            keep_rows &= self._visit_read[:n] == retrieved
        rows = np.flatnonzero(keep_rows)
        cosines = self._visit_vectors[rows] @ self._unit_checked(vector)
        order = np.lexsort((-cosines, codes[rows]))
        grouped = codes[rows][order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        rank = np.arange(len(grouped)) - np.repeat(starts, np.diff(np.r_[starts, len(grouped)]))
        keep = order[rank < per_case]
        ids = [self._cases[c].id for c in codes[rows[keep]].tolist()]
        hits = zip(
            ids,
            self._visit_target[rows[keep]].tolist(),
            cosines[keep].tolist(),
            self._visit_read[rows[keep]].tolist(),
            strict=True,
        )
        return [VisitHit(*hit) for hit in hits]  # type: ignore[misc]

    def _grow(self) -> None:
        size = 2 * len(self._visit_target)
        self._visit_vectors = np.resize(self._visit_vectors, (size, self.dim))
        self._visit_case = np.resize(self._visit_case, size)
        self._visit_target = np.resize(self._visit_target, size)
        self._visit_read = np.resize(self._visit_read, size)

    def _unit_checked(self, vector: Sequence[float]) -> np.ndarray:
        v = np.asarray(vector, dtype=np.float64)
        if v.shape != (self.dim,):
            raise ValueError(f"expected a {self.dim}-d vector, got shape {v.shape}")
        norm = np.linalg.norm(v)
        return v / norm if norm > 0 else v
