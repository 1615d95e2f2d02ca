"""When a collection is searched from an exact copy in memory, and how the copy stays in step.

A store keeps one `ExactCopy` per collection and tells it every write it makes. The first
search starts building the copy from the store's own points in a background thread (never for
a collection nobody searches; 10k cases and their 10k steps take a second or two) and is
answered by the engine, as is every search until the copy is complete. Writes made during the
build are journaled and replayed on the finished copy, in order, so it ends exactly as the
store is; afterwards each write updates it once the store accepted it, and a write it cannot
follow (a delete by a filter it does not evaluate) drops it, to be rebuilt the same way. So a
search through it always sees exactly what the store holds. Other processes cannot write
meanwhile: an embedded bank folder is open in one process at a time (Qdrant Edge locks it),
and a process that opens it later builds its own copy from the files.

Past `MAX_BYTES` of vectors, the copy is dropped for good (for this open), and a collection
already past it is never read: the engine's own index (HNSW) is faster from there, and the
memory is better left to it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence

from memory.engines.exact_index import ExactIndex
from memory.engines.protocol import GroupHit, GroupValues, ScoredPoint, StoredPoint, ValueOf, Where

_log = logging.getLogger(__name__)

MAX_BYTES = 96 << 20
"""Vectors kept per collection at most (float32): 65k cases of 384 dimensions, or the steps of
65k tasks; a quarter of that at 1,536 dimensions."""

BUILD_PAGE = 2_048

Points = Callable[[], tuple[int, Iterator[StoredPoint]]]
"""How many points the store holds, and all of them with their vectors."""


Write = Callable[[ExactIndex], bool]
"""A write applied to a copy; False when the copy cannot follow it (and must be rebuilt)."""


class ExactCopy:
    """The exact copy of one collection, or the decision that it is too large for one."""

    def __init__(
        self,
        dim: int,
        *,
        half_precision: bool = False,
        max_bytes: int | None = None,
        keys: Sequence[str] | None = None,
        packed: bool = False,
    ) -> None:
        """`keys`: the only payload keys kept, `packed`: whole payloads kept as JSON text
        (`ExactIndex`). (Visits, a point per case read, shared their task's state and were
        let past the limit by their distinct vectors; a step holds its state once.)"""
        self.keys = keys
        self.packed = packed
        self.dim = dim
        self.half_precision = half_precision
        self.max_vectors = (MAX_BYTES if max_bytes is None else max_bytes) // (4 * dim)
        self._index: ExactIndex | None = None
        self._too_large = False
        self._journal: list[Write] | None = None  # writes made while a build runs
        self._builder: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    @property
    def serving(self) -> bool:
        """Whether searches are answered from memory now (the engine's index is not needed)."""
        return self._index is not None

    # -- reads ---------------------------------------------------------------------------------
    def search(
        self, points: Points, vector: Sequence[float], *, where: Where, limit: int
    ) -> list[ScoredPoint] | None:
        """The exact answer, or None: ask the engine (too large, not built yet, or a filter
        the copy declines)."""
        with self._lock:
            index = self._ready(points)
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
        payload_keys: Sequence[str],
    ) -> list[GroupHit] | None:
        with self._lock:
            index = self._ready(points)
            if index is None:
                return None
            return index.nearest_per_group(
                vector, key=key, groups=groups, per_group=per_group, where=where,
                payload_keys=payload_keys,
            )  # fmt: skip

    def nearest_values_per_group(
        self,
        points: Points,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        where: Where,
        value_of: ValueOf,
    ) -> GroupValues | None:
        with self._lock:
            index = self._ready(points)
            if index is None:
                return None
            return index.nearest_values_per_group(
                vector, key=key, groups=groups, per_group=per_group, where=where, value_of=value_of
            )

    def _ready(self, points: Points) -> ExactIndex | None:
        """The copy, or None after starting its build if none runs (under the lock)."""
        if self._index is None and not self._too_large and self._builder is None:
            self._journal = []
            self._builder = threading.Thread(
                target=self._build, args=(points,), name="memento-exact-copy", daemon=True
            )
            self._builder.start()
        return self._index

    def _build(self, points: Points) -> None:
        index: ExactIndex | None = None
        try:
            count, stored = points()
            if count <= self.max_vectors:
                index = self._read(stored)
        except Exception as exc:  # the engine answers instead, as it did before
            _log.warning("cannot build the exact copy (searches stay on the engine): %s", exc)
        with self._lock:
            journal, self._journal, self._builder = self._journal or [], None, None
            if index is None:
                self._too_large = not self._stop.is_set()
                return
            if all(write(index) for write in journal):
                self._index = index
                self._check_size()

    def _read(self, stored: Iterator[StoredPoint]) -> ExactIndex | None:
        index = ExactIndex(
            self.dim, half_precision=self.half_precision, keys=self.keys, packed=self.packed
        )
        page: list[tuple[str, dict, Sequence[float]]] = []
        for point in stored:
            if self._stop.is_set():
                return None
            page.append((point.id, point.payload, point.vector or []))
            if len(page) == BUILD_PAGE:
                index.upsert(page)
                page = []
                if self._too_big(index):
                    return None
        index.upsert(page)
        return None if self._too_big(index) else index

    def wait_until_built(self) -> None:
        """Wait for a build in progress, if any."""
        builder = self._builder
        if builder is not None:
            builder.join()

    def stop(self) -> None:
        """Abandon a build in progress (the store is closing)."""
        self._stop.set()
        self.wait_until_built()

    # -- writes (after the store accepted them) ------------------------------------------------
    def _apply(self, write: Write) -> None:
        with self._lock:
            if self._journal is not None:
                self._journal.append(write)
            if self._index is not None and not write(self._index):
                self._index = None  # rebuilt from the store by the next search
            self._check_size()

    def _too_big(self, index: ExactIndex) -> bool:
        return len(index) > self.max_vectors

    def _check_size(self) -> None:
        if self._index is not None and self._too_big(self._index):
            self._index, self._too_large = None, True

    def upserted(self, points: Sequence[tuple[StoredPoint, Sequence[float]]]) -> None:
        if self._index is None and self._journal is None:
            return  # no copy, and a build that starts later reads this write from the store
        rows = [(p.id, dict(p.payload), vector) for p, vector in points]
        self._apply(lambda index: index.upsert(rows) or True)

    def deleted(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        self._apply(lambda index: index.delete(ids) or True)

    def deleted_where(self, where: Where) -> None:
        self._apply(lambda index: index.delete_where(where))
