"""Retrievals as records of the bank: what a caller was shown, kept until its outcome is known.

A retrieval is the state a read was made in (its vector), the items read and the candidates
left unread, the task as its case will hold it, and, once reported, the outcome. Credit must
describe what was shown, and the reader that showed it is often not the process that learns the
outcome: an MCP client reports to a freshly started stdio server (`client.get_tools()` starts
one per call), a store search inside a graph run is credited when the run's judge has spoken.
Kept in the bank, a retrieval reaches every process and engine that opens it and survives a
restart; in a server's memory it did neither ("unknown retrieval_id").

Reporting is a check-and-set under the bank's lock, so one retrieval is credited once however
many reports arrive. Past `MAX_KEPT` per namespace the oldest retrievals are forgotten.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from memory.bank.limits import MAX_QUESTION_CHARS, cut
from memory.bank.ownership import is_point_id
from memory.engines.protocol import Collection, StoredPoint, Where, match

KEYWORDS = ("namespace", "run_id")
MAX_KEPT = 10_000
"""Retrievals kept per namespace; past it the oldest are forgotten (a tenth at a time)."""


class Retrieval(BaseModel):
    """One read of the bank waiting for (or holding) its outcome."""

    id: str
    namespace: str
    question: str
    mode: str = "train"
    kind: str = "cases"
    """What was read: "cases" (a case is written for the task when it is reported) or
    "memories" (general memories: reporting credits them and writes no case)."""
    shown: list[str] = Field(default_factory=list)
    """Ids of the items read (cases or memories), in the order shown."""
    unread: list[str] = Field(default_factory=list)
    """Candidates scored but left unread (contrastive credit)."""
    run_id: str = ""
    """The run this read belongs to (a graph run's id); empty for a standalone read."""
    created_at: float = 0.0
    outcome: dict[str, Any] | None = None
    """What reporting the outcome returned; set once."""


def new_retrieval_id() -> str:
    """A fresh retrieval id (a UUID: it is also the id of its record and its visits' run id)."""
    return str(uuid.uuid4())


class RetrievalRecords:
    """Reads and writes one bank's retrievals; every call holds the bank's lock."""

    def __init__(self, collection: Collection, lock: threading.RLock) -> None:
        self._collection = collection
        self._lock = lock

    def save(self, retrieval: Retrieval, vector: Sequence[float]) -> Retrieval:
        """Store a new retrieval with its state vector; the question is cut as a case's is."""
        stored = retrieval.model_copy(
            update={
                "question": cut(retrieval.question, MAX_QUESTION_CHARS),
                "created_at": retrieval.created_at or time.time(),
            }
        )
        _check_id(stored.id)
        with self._lock:
            self._collection.upsert([(StoredPoint(stored.id, stored.model_dump()), vector)])
            self._forget_oldest(stored.namespace)
        return stored

    def get(self, retrieval_id: str) -> tuple[Retrieval, list[float]] | None:
        """The retrieval and its state vector; None when there is none by that id."""
        if not is_point_id(retrieval_id):
            return None
        with self._lock:
            points = self._collection.retrieve([retrieval_id], with_vectors=True)
        if not points:
            return None
        return _read(points[0].payload), list(points[0].vector or [])

    def of_run(self, namespace: str | None, run_id: str) -> list[tuple[Retrieval, list[float]]]:
        """The retrievals a run made in a namespace (None: in any), oldest first, with their
        vectors."""
        scope = () if namespace is None else (match("namespace", namespace),)
        where = Where(must=(*scope, match("run_id", run_id)))
        with self._lock:
            points = list(self._collection.scroll(where, with_vectors=True))
        found = [(_read(p.payload), list(p.vector or [])) for p in points]
        return sorted(found, key=lambda pair: pair[0].created_at)

    def report(self, retrieval_id: str, outcome: dict[str, Any]) -> dict[str, Any] | None:
        """Record the outcome once: None when this call set it, else the outcome set before.

        The caller learns from a retrieval only when this returns None, so concurrent or
        repeated reports credit it once.
        """
        with self._lock:
            points = self._collection.retrieve([retrieval_id], with_vectors=True)
            if not points:
                raise KeyError(retrieval_id)
            held = _read(points[0].payload)
            if held.outcome is not None:
                return held.outcome
            done = held.model_copy(update={"outcome": outcome})
            self._collection.upsert([(StoredPoint(done.id, done.model_dump()), points[0].vector)])
        return None

    def count(self, namespace: str | None = None) -> int:
        where = Where(must=(match("namespace", namespace),)) if namespace is not None else Where()
        with self._lock:
            return self._collection.count(where)

    def forget(self, namespace: str | None = None) -> None:
        """Delete the retrievals of one namespace, or all."""
        where = Where(must=(match("namespace", namespace),)) if namespace is not None else Where()
        with self._lock:
            self._collection.delete_where(where)

    def _forget_oldest(self, namespace: str) -> None:
        where = Where(must=(match("namespace", namespace),))
        if self._collection.count(where) <= MAX_KEPT:
            return
        held = sorted(
            (float(p.payload.get("created_at", 0.0)), p.id) for p in self._collection.scroll(where)
        )
        self._collection.delete([point_id for _, point_id in held[: max(1, MAX_KEPT // 10)]])


def _read(payload: dict[str, Any] | None) -> Retrieval:
    try:
        return Retrieval.model_validate(payload or {})
    except ValidationError as exc:
        raise ValueError(f"a stored retrieval is unreadable: {exc.errors()[0]['msg']}") from None


def _check_id(retrieval_id: str) -> None:
    if not is_point_id(retrieval_id):
        raise ValueError(f"a retrieval id is a UUID (new_retrieval_id), got {retrieval_id!r}")
