"""When a collection is searched from an exact copy in memory, and how the copy stays in step.

A store keeps one `ExactCopy` per collection and tells it every write it makes. The copy is
built from the store's own points on the first search (never for a collection nobody
searches), then updated by each write after the store accepted it; a write it cannot follow
(a delete by a filter it does not evaluate) drops it, and the next search rebuilds it from the
store. So a search through it always sees exactly what the store holds. Other processes cannot
write meanwhile: an embedded bank folder is open in one process at a time (Qdrant Edge locks
it), and a process that opens it later builds its own copy from the files.

Past `MAX_BYTES` of vectors the copy is dropped for good (for this open): the engine's own
index (HNSW) is faster from there, and the memory is better left to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

from memory.exact_index import ExactIndex
from memory.store import GroupHit, ScoredPoint, StoredPoint, Where

MAX_BYTES = 96 << 20
"""Vectors kept per collection at most: 65k cases of 384 dimensions (float32), 131k visits
(float16, as the engine stores them); a quarter of that at 1,536 dimensions."""

BUILD_PAGE = 2_048

Points = Callable[[], tuple[int, Iterator[StoredPoint]]]
"""How many points the store holds, and all of them with their vectors."""


class ExactCopy:
    """The exact copy of one collection, or the decision that it is too large for one."""

    def __init__(
        self, dim: int, *, half_precision: bool = False, max_bytes: int | None = None
    ) -> None:
        self.dim = dim
        self.half_precision = half_precision
        itemsize = 2 if half_precision else 4
        self.max_points = (MAX_BYTES if max_bytes is None else max_bytes) // (itemsize * dim)
        self._index: ExactIndex | None = None
        self._too_large = False
        self._lock = threading.Lock()

    @property
    def serving(self) -> bool:
        """Whether searches are answered from memory now (the engine's index is not needed)."""
        return self._index is not None

    # -- reads ---------------------------------------------------------------------------------
    def search(
        self, points: Points, vector: Sequence[float], *, where: Where, limit: int
    ) -> list[ScoredPoint] | None:
        """The exact answer, or None: ask the engine (too large, or a filter it declines)."""
        with self._lock:
            index = self._built(points)
            return None if index is None else index.search(vector, where=where, limit=limit)

    def nearest_per_group(
        self,
        points: Points,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        where: Where,
    ) -> list[GroupHit] | None:
        with self._lock:
            index = self._built(points)
            if index is None:
                return None
            return index.nearest_per_group(
                vector, key=key, groups=groups, per_group=per_group, where=where
            )

    def _built(self, points: Points) -> ExactIndex | None:
        if self._index is None and not self._too_large:
            count, stored = points()
            if count > self.max_points:
                self._too_large = True
                return None
            index = ExactIndex(self.dim, half_precision=self.half_precision)
            page: list[tuple[str, dict, Sequence[float]]] = []
            for point in stored:
                page.append((point.id, point.payload, point.vector or []))
                if len(page) == BUILD_PAGE:
                    index.upsert(page)
                    page = []
            index.upsert(page)
            self._index = index
        return self._index

    # -- writes (after the store accepted them) ------------------------------------------------
    def upserted(self, points: Sequence[tuple[StoredPoint, Sequence[float]]]) -> None:
        with self._lock:
            if self._index is None:
                return
            self._index.upsert([(p.id, dict(p.payload), vector) for p, vector in points])
            if len(self._index) > self.max_points:
                self._index, self._too_large = None, True

    def deleted(self, ids: Sequence[str]) -> None:
        with self._lock:
            if self._index is not None:
                self._index.delete(ids)

    def deleted_where(self, where: Where) -> None:
        with self._lock:
            if self._index is not None and not self._index.delete_where(where):
                self._index = None  # rebuilt from the store by the next search
