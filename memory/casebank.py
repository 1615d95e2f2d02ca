"""The case bank: cases and their visits in a vector store (embedded, in memory, or a server).

Cases and visits live in two collections. A case is fixed once stored: its point id is derived
from its namespace, normalised question and outcome (see `memory.case_identity`), so the same
outcome again counts an attempt of that case and another outcome is a new case beside it.
The engine is chosen by the store location (see `memory.store.engine_for`): Qdrant Edge in a
folder (the default), Qdrant's local mode, qdrant-client in memory, or a Qdrant server. Every
call is synchronous and guarded by one lock (qdrant's local mode is not thread-safe); async
callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memory import q_params
from memory.bank_care import BankCare
from memory.bank_points import BankPoints
from memory.case_identity import attempt_of, case_id_for, normalize_question, outcome_key
from memory.case_limits import capped_case
from memory.errors import CaseBankError, EmbeddingSizeMismatchError
from memory.exact_index import GroupValues
from memory.namespaces import NAMESPACE_RULE, is_valid_namespace
from memory.records import Case, ScoredCase, Visit, VisitMatch
from memory.redaction import redact, secrets_in
from memory.store import (
    Collection,
    Engine,
    FieldMatch,
    GroupHit,
    StoredPoint,
    VectorStore,
    Where,
    folder_of,
    match,
    open_store,
)
from memory.stored_records import (
    VisitColumns,
    case_from_payload,
    case_point,
    stored_time,
    visit_columns,
    visit_from_payload,
    visit_match,
    visit_point,
    visit_target,
)

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from qdrant_client import QdrantClient

    from memory.retriever import CaseBankRetriever

# qdrant-client (~0.5 s to import) is imported only for a bank that uses it: the default
# Qdrant Edge bank (memory.store.open_store) does not, nor does `memento cases list` on it.

__all__ = ["CaseBank", "case_id_for", "normalize_question"]

_CASE_KEYWORDS = ("namespace", "question_key", "provenance")
_VISIT_KEYWORDS = ("namespace", "case_id")
_VISIT_READS = (*_VISIT_KEYWORDS, "target", "retrieved")  # all that searches of visits touch


class CaseBank(BankCare, BankPoints):
    """Cases and visits for any number of namespaces, in one vector store.

    Deleting, relabelling, pruning and explaining are `BankCare`'s methods (`memory.bank_care`);
    copying records as stored (export, import, moving engines) is `BankPoints`'s
    (`memory.bank_points`).
    """

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
        `max_cases` is a size budget per namespace, kept on every write (`memory.pruning`).
        """
        if dim is not None and dim <= 0:
            raise ValueError(f"embedding size must be positive, got {dim}")
        if max_cases is not None and max_cases < 1:
            raise ValueError(f"max_cases must be at least 1, got {max_cases}")
        self.location = location
        self.max_cases = max_cases
        self.cases_collection = f"{prefix}_cases"
        self.visits_collection = f"{prefix}_visits"
        self.q_params_collection = f"{prefix}_q_params"
        self._lock = threading.RLock()
        if client is not None:
            from memory.qdrant_store import QdrantStore

            self._store: VectorStore = QdrantStore(client, engine=_client_engine(client, location))
        else:
            self._store = open_store(location, create=dim is not None)
        # Writes, bank care and closing take the lock one at a time; a retrieve's searches
        # take it only where the engine cannot search while another thread writes: a live
        # bank's retrieves do not wait for its writes (benchmarks/live_growth.py).
        self._searching: AbstractContextManager[object] = (
            nullcontext() if self._store.concurrent_reads else self._lock
        )
        try:
            self.dim = dim if dim is not None else self._stored_dim()
            self._cases = self._open_collection(self.cases_collection, _CASE_KEYWORDS, True)
            self._visits = self._open_collection(
                self.visits_collection, _VISIT_KEYWORDS, False, _VISIT_READS
            )
            params = self._open_collection(self.q_params_collection, q_params.KEYWORDS, False)
            self.q_params = q_params.QParamRecords(params, self._lock, self.dim)
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

    def __enter__(self) -> CaseBank:
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
    def bulk_import(self) -> Iterator[CaseBank]:
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

    # -- cases ---------------------------------------------------------------------------------
    def add(self, case: Case, vector: Sequence[float]) -> Case:
        """Store an outcome of a question: a new case, or one more attempt of an identical one.

        The stored case's id, attempts and times are set here; the returned case is what the
        bank now holds. A stored case's content never changes (see `memory.case_identity`).
        """
        return self.add_many([(case, vector)])[0]

    def add_many(self, items: Sequence[tuple[Case, Sequence[float]]]) -> list[Case]:
        """Store many outcomes in one write (bulk import), exactly as repeated `add`s would.

        Secrets from the environment (API keys, tokens) are redacted from every text of a case
        before it is stored (and before its outcome is fingerprinted).
        """
        for case, vector in items:
            self._check_vector(vector)
            check_namespace(case.namespace)
        items = [(capped_case(case), vector) for case, vector in items]
        secrets = secrets_in()
        if secrets:
            items = [(Case.model_validate(redact(c.model_dump(), secrets)), v) for c, v in items]
        with self._lock:
            ids = [case_id_for(c.namespace, c.question, outcome_key(c)) for c, _ in items]
            held = {c.id: c for c in self.get_many(list(dict.fromkeys(ids)))}
            now = stored_time(time.time())
            stored: list[Case] = []
            latest: dict[str, tuple[StoredPoint, Sequence[float]]] = {}
            for case_id, (case, vector) in zip(ids, items, strict=True):
                previous = held.get(case_id)
                new = attempt_of(previous, case, case_id, now)
                held[case_id] = new
                stored.append(new)
                latest[case_id] = (case_point(new), vector)
            self._cases.upsert(list(latest.values()))
        if self.max_cases is not None:
            from memory.pruning import keep_budget

            keep_budget(self, {c.namespace for c in stored}, self.max_cases)
        return stored

    def put_case(self, case: Case, vector: Sequence[float]) -> None:
        """Store a case exactly as given (id, attempts, times): bank care's one way to write."""
        self._check_vector(vector)
        with self._lock:
            self._cases.upsert([(case_point(case), vector)])

    def attempts(self, namespace: str, question: str) -> list[Case]:
        """Every stored case (attempt) of a question in a namespace, oldest first."""
        extra = (match("question_key", normalize_question(question)),)
        points = self._scroll(self._cases, namespace, extra)
        cases = [case for p in points if (case := case_from_payload(p.id, p.payload))]
        cases.sort(key=lambda c: (c.created_at, c.id))
        return cases

    def get(self, case_id: str) -> Case | None:
        """The case with this id, or None."""
        found = self.get_many([case_id])
        return found[0] if found else None

    def get_many(self, case_ids: Sequence[str]) -> list[Case]:
        """The cases with these ids that exist, in the given order."""
        with self._lock:
            points = self._cases.retrieve(list(case_ids))
        by_id = {p.id: case for p in points if (case := case_from_payload(p.id, p.payload))}
        return [by_id[i] for i in case_ids if i in by_id]

    def case_vectors(self, case_ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored embedding of each case id that exists (scaled to unit length)."""
        with self._lock:
            points = self._cases.retrieve(list(case_ids), with_vectors=True)
        return {p.id: list(p.vector or []) for p in points}

    def search(
        self,
        vector: Sequence[float],
        *,
        namespace: str,
        limit: int,
        exclude_question: str | None = None,
    ) -> list[ScoredCase]:
        """The `limit` cases most similar to `vector` in a namespace, best first.

        `exclude_question` drops every attempt of that question (leakage control);
        quarantined cases are never found (`memory.provenance`).
        """
        self._check_vector(vector)
        check_namespace(namespace)
        must_not = (match("provenance", "quarantined"),)  # kept for review, never shown
        if exclude_question is not None:
            must_not += (match("question_key", normalize_question(exclude_question)),)
        where = Where(must=(match("namespace", namespace),), must_not=must_not)
        with self._searching:
            hits = self._cases.search(vector, where=where, limit=limit)
        return [
            ScoredCase(case=case, similarity=h.score)
            for h in hits
            if (case := case_from_payload(h.id, h.payload))
        ]

    def list_cases(self, *, namespace: str | None = None, limit: int | None = None) -> list[Case]:
        """Cases, newest first (optionally of one namespace)."""
        points = self._scroll(self._cases, namespace)
        cases = [case for p in points if (case := case_from_payload(p.id, p.payload))]
        cases.sort(key=lambda c: c.updated_at, reverse=True)
        return cases[:limit] if limit is not None else cases

    def cases_where(self, namespace: str, field: str, values: Sequence[str]) -> list[Case]:
        """The namespace's cases whose `field` holds one of `values` (e.g. the cases some runs
        wrote, or the quarantined ones), found by the engine, not read one by one."""
        if not values:
            return []
        points = self._scroll(self._cases, namespace, (match(field, *values),))
        return [case for p in points if (case := case_from_payload(p.id, p.payload))]

    def count(self, *, namespace: str | None = None) -> int:
        """Number of cases (optionally of one namespace)."""
        with self._lock:
            return self._cases.count(_namespace_where(namespace))

    def delete(self, case_ids: Sequence[str]) -> None:
        """Delete cases, their visits and their own parametric Q biases."""
        if not case_ids:
            return
        ids = list(case_ids)
        with self._lock:
            self._visits.delete_where(Where(must=(match("case_id", *ids),)))
            self.q_params.forget_cases(ids)
            self._cases.delete(ids)

    # -- visits --------------------------------------------------------------------------------
    def add_visits(self, visits: Sequence[tuple[Visit, Sequence[float]]]) -> None:
        """Record visits (each with its state vector s_j) in one write."""
        if not visits:
            return
        for visit, vector in visits:
            self._check_vector(vector)
            check_namespace(visit.namespace)
        points = [(visit_point(visit), vector) for visit, vector in visits]
        with self._lock:
            self._visits.upsert(points)

    def delete_visits(self, visit_ids: Sequence[str]) -> None:
        """Delete these visits (bank care: a merge that found a run's read and unread visit)."""
        if visit_ids:
            with self._lock:
                self._visits.delete(list(visit_ids))

    def nearest_visits(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        *,
        per_case: int,
        retrieved: bool | None = None,
    ) -> list[VisitMatch]:
        """For each case, its `per_case` visits nearest to the state `vector`.

        At most len(case_ids) * per_case visits come back however long the bank has lived, and
        the visits left out are the farthest, whose kernel weight is the smallest. `retrieved`
        keeps only visits where the case was read (True; visits stored before the field existed
        count as read) or only those where it was a candidate left unread (False). The engines
        read only the given cases' visits (through the keyword index on `case_id`), never the
        whole collection, except Qdrant's local mode, which filters point by point in Python.
        """
        hits = self._nearest_visit_hits(vector, case_ids, per_case, retrieved)
        matches = (
            visit_match(str(payload.get("case_id")), payload, score) for payload, score in hits
        )
        return [m for m in matches if m is not None]

    def nearest_visit_columns(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        *,
        per_case: int,
        retrieved: bool | None = None,
    ) -> VisitColumns:
        """`nearest_visits` as columns, what kernel Q sums, with no record made per visit (and
        no payload read where a small bank's exact copy holds each visit's target)."""
        found = self._nearest_visit_hits(vector, case_ids, per_case, retrieved, columns=True)
        if not isinstance(found, GroupValues):
            return visit_columns(found)
        groups = list(dict.fromkeys(case_ids))
        ids = [groups[i] for i in found.groups.tolist()]
        return VisitColumns(ids, found.scores, found.values, found.groups)

    def _nearest_visit_hits(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        per_case: int,
        retrieved: bool | None,
        *,
        columns: bool = False,
    ) -> list[GroupHit] | GroupValues:
        if not case_ids:
            return []
        self._check_vector(vector)
        unread = match("retrieved", False)
        where = Where()
        if retrieved is not None:
            where = Where(must_not=(unread,)) if retrieved else Where(must=(unread,))
        groups = list(dict.fromkeys(case_ids))
        with self._searching:
            found = columns and self._visits.nearest_values_per_group(
                vector, key="case_id", groups=groups, per_group=per_case, where=where,
                value_of=visit_target,
            )  # fmt: skip
            return found or self._visits.nearest_per_group(
                vector, key="case_id", groups=groups, per_group=per_case,
                payload_keys=("case_id", "target", "retrieved"), where=where,
            )  # fmt: skip

    def list_visits(
        self, *, case_id: str | None = None, namespace: str | None = None
    ) -> list[Visit]:
        """Stored visits, optionally of one case or namespace, oldest first."""
        extra = (match("case_id", case_id),) if case_id else ()
        points = self._scroll(self._visits, namespace, extra)
        visits = [visit for p in points if (visit := visit_from_payload(p.id, p.payload))]
        visits.sort(key=lambda v: v.created_at)
        return visits

    def visit_states(
        self, namespace: str, *, case_id: str | None = None, run_id: str | None = None
    ) -> Iterator[tuple[Visit, list[float]]]:
        """Every visit of a namespace (of one case, of one run) with its state vector s_j."""
        extra = tuple(match(k, v) for k, v in (("case_id", case_id), ("run_id", run_id)) if v)
        for point in self._scroll(self._visits, namespace, extra, with_vectors=True):
            if visit := visit_from_payload(point.id, point.payload):
                yield visit, list(point.vector or [])

    def count_visits(self, *, namespace: str | None = None) -> int:
        """Number of visits (optionally of one namespace)."""
        with self._lock:
            return self._visits.count(_namespace_where(namespace))

    # -- LangChain -----------------------------------------------------------------------------
    def as_retriever(self, embedder: Embeddings, **options: Any) -> CaseBankRetriever:
        """This bank as a LangChain retriever ranked by Q (see `memory.retriever`)."""
        from memory.retriever import as_retriever

        return as_retriever(self, embedder, **options)

    # -- helpers -------------------------------------------------------------------------------
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
        where = Where(must=extra + _namespace_where(namespace).must)
        return self._locked(collection.scroll(where, with_vectors=with_vectors))

    def _locked(self, points: Iterator[StoredPoint]) -> Iterator[StoredPoint]:
        while True:
            with self._lock:
                point = next(points, None)
            if point is None:
                return
            yield point


def _client_engine(client: QdrantClient, location: str) -> Engine:
    from memory.qdrant_store import is_embedded

    if not is_embedded(client):
        return "server"
    return "memory" if location == ":memory:" else "local"


def _namespace_where(namespace: str | None) -> Where:
    if namespace is None:
        return Where()
    check_namespace(namespace)
    return Where(must=(match("namespace", namespace),))


def check_namespace(namespace: str) -> None:
    """Refuse a namespace that breaks the rule (`memory.namespaces`), naming it."""
    if not is_valid_namespace(namespace):
        raise CaseBankError(f"namespace {namespace!r} is not allowed: use {NAMESPACE_RULE}")
