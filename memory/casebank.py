"""The case bank: cases and their visits in Qdrant (embedded, in memory, or a server).

Cases and visits live in two collections. A case's point id is derived from its namespace and
normalised question, so writing the same question again replaces the old outcome (newest wins)
and counts the attempt, instead of piling up duplicates. Every call is synchronous and guarded by
one lock (qdrant's local mode is not thread-safe); async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdrant_client import QdrantClient, models

from memory.errors import BankInUseError, CaseBankError, EmbeddingSizeMismatchError
from memory.records import Case, ScoredCase, Visit, VisitMatch

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from memory.retriever import CaseBankRetriever

_ID_NAMESPACE = uuid.UUID("6f1c1f0e-5d1b-4d7e-9a59-0c6b1f3f6a10")


def normalize_question(question: str) -> str:
    """The form under which two questions count as the same task."""
    return " ".join(question.casefold().split())


def case_id_for(namespace: str, question: str) -> str:
    """Stable id of the case for a question within a namespace (the dedup key)."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{namespace}\x00{normalize_question(question)}"))


def _is_folder(location: str) -> bool:
    return location != ":memory:" and not location.startswith(("http://", "https://"))


def open_qdrant(location: str) -> QdrantClient:
    """A client for ':memory:', a local folder, or a server URL (http:// or https://)."""
    if location == ":memory:":
        return QdrantClient(location=":memory:")
    if location.startswith(("http://", "https://")):
        return QdrantClient(url=location)
    try:
        return QdrantClient(path=location)
    except RuntimeError as exc:
        if "already accessed" in str(exc):
            raise BankInUseError(location) from exc
        raise


class CaseBank:
    """Cases and visits for any number of namespaces, in one Qdrant store."""

    def __init__(
        self,
        location: str = ":memory:",
        *,
        dim: int | None,
        prefix: str = "memento",
        client: QdrantClient | None = None,
    ) -> None:
        """Open (creating if needed) the bank; `dim=None` opens an existing bank at its size."""
        if dim is not None and dim <= 0:
            raise ValueError(f"embedding size must be positive, got {dim}")
        self.location = location
        self.cases_collection = f"{prefix}_cases"
        self.visits_collection = f"{prefix}_visits"
        if dim is not None and _is_folder(location):
            Path(location).mkdir(parents=True, exist_ok=True)
        self._client = client or open_qdrant(location)
        self._lock = threading.RLock()
        self.dim = dim if dim is not None else self._stored_dim()
        for name in (self.cases_collection, self.visits_collection):
            self._ensure_collection(name)

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        """Release the store (a local folder can then be opened by another process)."""
        with self._lock:
            self._client.close()

    def __enter__(self) -> CaseBank:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stored_dim(self) -> int:
        if not self._client.collection_exists(self.cases_collection):
            self._client.close()
            raise CaseBankError(f"there is no case bank at {self.location!r} yet")
        info = self._client.get_collection(self.cases_collection)
        return int(info.config.params.vectors.size)  # type: ignore[union-attr]

    def _ensure_collection(self, name: str) -> None:
        with self._lock:
            if self._client.collection_exists(name):
                info = self._client.get_collection(name)
                stored = info.config.params.vectors.size  # type: ignore[union-attr]
                if stored != self.dim:
                    raise EmbeddingSizeMismatchError(name, stored, self.dim)
                return
            self._client.create_collection(
                name,
                vectors_config=models.VectorParams(size=self.dim, distance=models.Distance.COSINE),
            )
            if not _is_embedded(self._client):
                for field in ("namespace", "case_id", "question_key"):
                    self._client.create_payload_index(name, field, models.PayloadSchemaType.KEYWORD)

    # -- cases ---------------------------------------------------------------------------------
    def add(self, case: Case, vector: Sequence[float]) -> Case:
        """Store a case under its dedup id; a repeat of a question keeps the newest outcome.

        The stored case's id, attempts and created_at are set here; the returned case is what
        the bank now holds.
        """
        self._check_vector(vector)
        case_id = case_id_for(case.namespace, case.question)
        with self._lock:
            previous = self.get(case_id)
            now = time.time()
            stored = case.model_copy(
                update={
                    "id": case_id,
                    "attempts": (previous.attempts + 1) if previous else 1,
                    "created_at": previous.created_at if previous else now,
                    "updated_at": now,
                }
            )
            payload = stored.model_dump()
            payload["question_key"] = normalize_question(stored.question)
            self._client.upsert(
                self.cases_collection,
                points=[models.PointStruct(id=case_id, vector=list(vector), payload=payload)],
                wait=True,
            )
        return stored

    def get(self, case_id: str) -> Case | None:
        """The case with this id, or None."""
        with self._lock:
            points = self._client.retrieve(self.cases_collection, [case_id], with_payload=True)
        return _case_from_payload(points[0].payload) if points else None

    def get_many(self, case_ids: Sequence[str]) -> list[Case]:
        """The cases with these ids that exist, in the given order."""
        with self._lock:
            points = self._client.retrieve(self.cases_collection, list(case_ids), with_payload=True)
        by_id = {str(p.id): _case_from_payload(p.payload) for p in points}
        return [by_id[i] for i in case_ids if i in by_id]

    def case_vectors(self, case_ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored embedding of each case id that exists."""
        with self._lock:
            points = self._client.retrieve(
                self.cases_collection, list(case_ids), with_payload=False, with_vectors=True
            )
        return {str(p.id): list(p.vector) for p in points}  # type: ignore[arg-type]

    def search(
        self,
        vector: Sequence[float],
        *,
        namespace: str,
        limit: int,
        exclude_question: str | None = None,
    ) -> list[ScoredCase]:
        """The `limit` cases most similar to `vector` in a namespace, best first.

        `exclude_question` drops the case for that exact question (leakage control).
        """
        self._check_vector(vector)
        must_not = []
        if exclude_question is not None:
            must_not.append(_match("question_key", normalize_question(exclude_question)))
        query_filter = models.Filter(must=[_match("namespace", namespace)], must_not=must_not)
        with self._lock:
            result = self._client.query_points(
                self.cases_collection,
                query=list(vector),
                query_filter=query_filter,
                limit=limit,
                with_payload=True,
            )
        return [
            ScoredCase(case=_case_from_payload(p.payload), similarity=float(p.score))
            for p in result.points
        ]

    def list_cases(self, *, namespace: str | None = None, limit: int | None = None) -> list[Case]:
        """Cases, newest first (optionally of one namespace)."""
        cases = [
            _case_from_payload(p.payload) for p in self._scroll(self.cases_collection, namespace)
        ]
        cases.sort(key=lambda c: c.updated_at, reverse=True)
        return cases[:limit] if limit is not None else cases

    def count(self, *, namespace: str | None = None) -> int:
        """Number of cases (optionally of one namespace)."""
        return self._count(self.cases_collection, namespace)

    def delete(self, case_ids: Sequence[str]) -> None:
        """Delete cases and their visits."""
        if not case_ids:
            return
        ids = list(case_ids)
        with self._lock:
            self._client.delete(
                self.visits_collection,
                points_selector=models.FilterSelector(
                    filter=models.Filter(must=[_match_any("case_id", ids)])
                ),
                wait=True,
            )
            self._client.delete(
                self.cases_collection, points_selector=models.PointIdsList(points=ids), wait=True
            )

    # -- visits --------------------------------------------------------------------------------
    def add_visits(self, visits: Sequence[tuple[Visit, Sequence[float]]]) -> None:
        """Record visits (each with its state vector s_j) in one write."""
        if not visits:
            return
        points = []
        for visit, vector in visits:
            self._check_vector(vector)
            points.append(
                models.PointStruct(id=visit.id, vector=list(vector), payload=visit.model_dump())
            )
        with self._lock:
            self._client.upsert(self.visits_collection, points=points, wait=True)

    def nearest_visits(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        *,
        per_case: int,
        retrieved: bool | None = None,
    ) -> list[VisitMatch]:
        """For each case, its `per_case` visits nearest to the state `vector`.

        The cost is bounded by len(case_ids) * per_case however long the bank has lived, and
        the visits left out are the farthest, whose kernel weight is the smallest. `retrieved`
        keeps only visits where the case was read (True; visits stored before the field existed
        count as read) or only those where it was a candidate left unread (False).
        """
        if not case_ids:
            return []
        self._check_vector(vector)
        must: list[models.Condition] = [_match_any("case_id", list(case_ids))]
        must_not: list[models.Condition] = []
        if retrieved is not None:
            unread = models.FieldCondition(key="retrieved", match=models.MatchValue(value=False))
            (must_not if retrieved else must).append(unread)
        query_filter = models.Filter(must=must, must_not=must_not)
        with self._lock:
            result = self._client.query_points_groups(
                self.visits_collection,
                query=list(vector),
                group_by="case_id",
                query_filter=query_filter,
                limit=len(case_ids),
                group_size=per_case,
                with_payload=["case_id", "target", "retrieved"],
            )
        return [
            VisitMatch(
                case_id=str(h.payload["case_id"]),
                target=float(h.payload["target"]),
                cosine=float(h.score),
                retrieved=bool(h.payload.get("retrieved", True)),
            )
            for group in result.groups
            for h in group.hits
            if h.payload is not None
        ]

    def list_visits(
        self, *, case_id: str | None = None, namespace: str | None = None
    ) -> list[Visit]:
        """Stored visits, optionally of one case or namespace, oldest first."""
        extra = [_match("case_id", case_id)] if case_id else []
        visits = [
            Visit.model_validate(p.payload)
            for p in self._scroll(self.visits_collection, namespace, extra)
        ]
        visits.sort(key=lambda v: v.created_at)
        return visits

    def count_visits(self, *, namespace: str | None = None) -> int:
        """Number of visits (optionally of one namespace)."""
        return self._count(self.visits_collection, namespace)

    # -- LangChain -----------------------------------------------------------------------------
    def as_retriever(self, embedder: Embeddings, **options: Any) -> CaseBankRetriever:
        """This bank as a LangChain retriever ranked by Q (see `memory.retriever`)."""
        from memory.retriever import as_retriever

        return as_retriever(self, embedder, **options)

    # -- helpers -------------------------------------------------------------------------------
    def _check_vector(self, vector: Sequence[float]) -> None:
        if len(vector) != self.dim:
            raise EmbeddingSizeMismatchError(self.cases_collection, self.dim, len(vector))

    def _count(self, collection: str, namespace: str | None) -> int:
        with self._lock:
            return self._client.count(
                collection, count_filter=_namespace_filter(namespace), exact=True
            ).count

    def _scroll(
        self, collection: str, namespace: str | None, extra: list[models.Condition] | None = None
    ) -> Iterator[models.Record]:
        conditions = list(extra or [])
        if namespace is not None:
            conditions.append(_match("namespace", namespace))
        offset = None
        while True:
            with self._lock:
                points, offset = self._client.scroll(
                    collection,
                    scroll_filter=models.Filter(must=conditions) if conditions else None,
                    limit=256,
                    offset=offset,
                    with_payload=True,
                )
            yield from points
            if offset is None:
                return


def _is_embedded(client: QdrantClient) -> bool:
    """Local mode ignores payload indexes (and warns), so only a server gets them."""
    return type(client._client).__name__ == "QdrantLocal"


def _match(field: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchValue(value=value))


def _match_any(field: str, values: list[str]) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchAny(any=values))


def _namespace_filter(namespace: str | None) -> models.Filter | None:
    return models.Filter(must=[_match("namespace", namespace)]) if namespace is not None else None


def _case_from_payload(payload: dict[str, Any] | None) -> Case:
    if payload is None:
        raise CaseBankError("a stored case has no payload")
    return Case.model_validate({k: v for k, v in payload.items() if k != "question_key"})
