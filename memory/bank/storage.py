"""Where a case bank's records live: the store it opens, its collections (cases, steps, Q
parameters, general memories, retrievals), one lock, and its records as stored (ids, payloads,
vectors).

`CaseBank` (`memory.bank.casebank`) builds cases and visits on this base; a bank written
before steps (one point per visit) is migrated once when it is opened
(`memory.bank.step_migration`). Export, import and
moving a bank between engines copy records as stored (`stored_points`, `put_points`,
`copy_to`), so nothing is re-embedded and no id, attempt or time changes. The engine is chosen
by the store location (`memory.engines.locations`): Qdrant Edge in a folder (the default),
Qdrant's local mode, qdrant-client in memory, or a Qdrant server. Every write is guarded by
one lock (qdrant's local mode is not thread-safe); async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Self

from memory.bank import memory_items, q_params, retrievals, steps
from memory.bank.namespaces import check_namespace
from memory.bank.paging import under_lock
from memory.bank.step_migration import LegacyVisits, steps_from_visit_points
from memory.bank.step_records import StepRecords
from memory.engines.locations import folder_of, open_store, store_for_client
from memory.engines.protocol import (
    EVERYWHERE,
    Collection,
    Engine,
    FieldMatch,
    StoredPoint,
    VectorStore,
    Where,
    match,
)
from memory.engines.served import lock_of
from memory.errors import CaseBankError, EmbeddingSizeMismatchError

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

# qdrant-client (~0.5 s to import) is imported only for a bank that uses it: the default
# Qdrant Edge bank (`memory.engines.locations.open_store`) does not, nor `memento cases list`.

_CASE_KEYWORDS = ("namespace", "question_key", "provenance")
KINDS = ("cases", "memories", "steps")
"""The kinds of records a bank stores as they are (exports, imports, moves)."""
LEGACY_KINDS = ("visits",)
"""Kinds written before steps: `put_points` still takes them (an old export), as steps."""


class BankStorage:
    """A bank's store and collections: opening, closing, indexing, and raw records."""

    def __init__(
        self,
        location: str = ":memory:",
        *,
        dim: int | None,
        prefix: str = "memento",
        client: QdrantClient | None = None,
        max_cases: int | None = None,
    ) -> None:
        """Open (creating if needed) the bank; `dim=None` opens an existing bank at its size.

        `client` brings your own qdrant-client (the location is then only a label).
        `max_cases` is a size budget per namespace, kept on every write (`memory.care.pruning`).
        """
        if dim is not None and dim <= 0:
            raise ValueError(f"embedding size must be positive, got {dim}")
        if max_cases is not None and max_cases < 1:
            raise ValueError(f"max_cases must be at least 1, got {max_cases}")
        self.location = location
        self.max_cases = max_cases
        self.cases_collection = f"{prefix}_cases"
        self.steps_collection = f"{prefix}_steps"
        self.visits_collection = f"{prefix}_visits"  # before steps: migrated when opened
        self.q_params_collection = f"{prefix}_q_params"
        self.memories_collection = f"{prefix}_memories"
        self.retrievals_collection = f"{prefix}_retrievals"
        if client is not None:
            self._store: VectorStore = store_for_client(client, location)
        else:
            self._store = open_store(location, create=dim is not None)
        # A bank this process holds and serves to others takes the lock its served calls take.
        self._lock = lock_of(self._store) or threading.RLock()
        # Writes, bank care and closing take the lock one at a time; a retrieve's searches
        # take it only where the engine cannot search while another thread writes: a live
        # bank's retrieves do not wait for its writes (benchmarks/live_growth.py).
        self._searching: AbstractContextManager[object] = (
            nullcontext() if self._store.concurrent_reads else self._lock
        )
        try:
            self.dim = dim if dim is not None else self._stored_dim()
            self._cases = self._open_collection(self.cases_collection, _CASE_KEYWORDS, True)
            self._steps = self._open_collection(
                self.steps_collection, steps.KEYWORDS, False, steps.READS
            )
            self.steps = StepRecords(self._steps, self._lock, self._searching)
            params = self._open_collection(self.q_params_collection, q_params.KEYWORDS, False)
            self.q_params = q_params.QParamRecords(params, self._lock, self.dim)
            memories = self._open_collection(self.memories_collection, memory_items.KEYWORDS, True)
            self._memories = memories
            self.memories = memory_items.MemoryRecords(
                memories, self._lock, self.dim, self._forget_credit
            )
            reads = self._open_collection(self.retrievals_collection, retrievals.KEYWORDS, False)
            self.retrievals = retrievals.RetrievalRecords(reads, self._lock)
            LegacyVisits(
                self._store, self.visits_collection, self.steps, self.dim, self._lock, location
            ).migrate_or_wait()  # a bank written before steps: once
            self._store.warm_up()
        except BaseException:
            self._store.close()
            raise

    @property
    def engine(self) -> Engine:
        """The engine holding the bank: 'edge', 'local', 'memory' or 'server'."""
        return self._store.engine

    @property
    def folder(self) -> Path | None:
        """The folder of an embedded bank (Qdrant Edge or local mode); None otherwise."""
        if self.engine in ("memory", "server"):
            return None
        return folder_of(self.location)

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        """Release the store (a local folder can then be opened by another process)."""
        with self._lock:
            self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def optimize(self) -> None:
        """Build the store's pending indexes now, blocking (e.g. after a bulk import).

        Searches are exact and correct without it; Qdrant Edge also builds indexes by itself in
        the background as the bank grows, and a Qdrant server always does.
        """
        with self._lock:
            self._store.optimize()

    def wait_until_warm(self) -> None:
        """Wait for the background read that warms an embedded bank's files when it is opened.

        Opening a Qdrant Edge bank starts reading its files into the OS page cache (when they
        fit in half the free memory), so that the first tasks of a new process do not wait for
        the disk; searches are correct meanwhile, only slower. Returns at once elsewhere.
        """
        self._store.wait_until_warm()

    @contextmanager
    def bulk_import(self) -> Iterator[Self]:
        """Write many cases and visits, then build the indexes once, when the block ends.

        Without it Qdrant Edge would build its index in steps as the cases arrive; within it
        searches stay exact (and slower) until the block ends.
        """
        with self._lock:
            self._store.defer_indexing(True)
        try:
            yield self
        finally:
            with self._lock:
                self._store.defer_indexing(False)
        self.optimize()

    def _stored_dim(self) -> int:
        stored = self._store.stored_dim(self.cases_collection)
        if stored is None:
            raise CaseBankError(f"there is no case bank at {self.location!r} yet")
        return stored

    def _open_collection(
        self, name: str, keywords: Sequence[str], index: bool, reads: Sequence[str] | None = None
    ) -> Collection:
        with self._lock:
            stored = self._store.stored_dim(name)
            if stored is not None and stored != self.dim:
                raise EmbeddingSizeMismatchError(name, stored, self.dim)
            return self._store.collection(
                name, dim=self.dim, keyword_fields=keywords, vector_index=index, read_keys=reads
            )

    def copy_to(self, target: BankStorage, *, batch: int = 1_000) -> tuple[int, int]:
        """Copy every case, memory and step, as stored (ids, attempts, times), into another bank.

        The way to move a bank between engines, e.g. from Qdrant's local mode to Qdrant Edge or
        to a server. Returns the numbers of cases (and memories) and steps copied.
        """
        if target.dim != self.dim:
            raise EmbeddingSizeMismatchError(target.cases_collection, target.dim, self.dim)
        with target.bulk_import():
            return target.put_points(self.stored_points(), batch=batch)

    def stored_points(self) -> Iterator[tuple[str, StoredPoint]]:
        """Every record as stored, with its vector: (kind, point) for each of `KINDS`, in
        that order (what steps credit comes before the steps)."""
        for kind in KINDS:
            for point in under_lock(
                self._kind(kind).scroll(EVERYWHERE, with_vectors=True), self._lock
            ):
                yield kind, point

    def put_points(
        self, points: Iterable[tuple[str, StoredPoint]], *, batch: int = 1_000
    ) -> tuple[int, int]:
        """Store records exactly as given (ids, payloads, vectors); returns (cases, steps)
        (memories are stored too, and counted as cases). Visits of an export written before
        steps are stored as the steps they form, merged with those held."""
        counts = dict.fromkeys((*KINDS, *LEGACY_KINDS), 0)
        pending: dict[str, list[StoredPoint]] = {kind: [] for kind in counts}

        def flush(kind: str) -> None:
            if kind in LEGACY_KINDS:
                steps_from_visit_points(self.steps, pending[kind])
            else:
                with self._lock:
                    self._kind(kind).upsert([(p, p.vector or []) for p in pending[kind]])
            counts[kind] += len(pending[kind])
            pending[kind] = []

        for kind, point in points:
            if point.vector is None or len(point.vector) != self.dim:
                size = 0 if point.vector is None else len(point.vector)
                raise EmbeddingSizeMismatchError(self.cases_collection, self.dim, size)
            if kind not in pending:
                raise CaseBankError(f"unknown kind of record {kind!r} (one of {KINDS})")
            pending[kind].append(point)
            if len(pending[kind]) >= batch:
                flush(kind)
        for kind in pending:
            if pending[kind]:
                flush(kind)
        return counts["cases"] + counts["memories"], counts["steps"] + counts["visits"]

    def stored_records(
        self, kind: str, ids: Sequence[str], *, with_vectors: bool = False
    ) -> list[StoredPoint]:
        """The records of `kind` (one of `KINDS`) with these ids that exist, as stored."""
        with self._lock:
            return self._kind(kind).retrieve(list(ids), with_vectors=with_vectors)

    def delete_records(self, kind: str, ids: Sequence[str]) -> None:
        """Remove records of `kind` by id, as stored, and nothing else (an import undoing its
        own writes; `CaseBank.delete` is how a case goes with its visits)."""
        if ids:
            with self._lock:
                self._kind(kind).delete(list(ids))

    # -- helpers -----------------------------------------------------------------------------
    def _kind(self, kind: str) -> Collection:
        return {"cases": self._cases, "memories": self._memories, "steps": self._steps}[kind]

    def _forget_credit(self, ids: list[str]) -> None:
        """Remove the visits and own Q biases of these cases or memories (under the lock)."""
        with self._lock:
            self.steps.drop_cases(ids)
            self.q_params.forget_cases(ids)

    def _check_vector(self, vector: Sequence[float]) -> None:
        if len(vector) != self.dim:
            raise EmbeddingSizeMismatchError(self.cases_collection, self.dim, len(vector))

    def _scroll(
        self,
        collection: Collection,
        namespace: str | None,
        extra: tuple[FieldMatch, ...] = (),
        *,
        with_vectors: bool = False,
    ) -> Iterator[StoredPoint]:
        """Matching points, the store read a page at a time under the lock."""
        where = Where(must=extra + namespace_where(namespace).must)
        return under_lock(collection.scroll(where, with_vectors=with_vectors), self._lock)


def namespace_where(namespace: str | None) -> Where:
    """The filter of one namespace's records (None: every namespace), the namespace checked."""
    if namespace is None:
        return Where()
    check_namespace(namespace)
    return Where(must=(match("namespace", namespace),))
