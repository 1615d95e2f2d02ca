"""General memories: any JSON object under any key and namespace, stored beside the cases.

A memory is what LangGraph's `BaseStore` holds (a user's preferences, a fact LangMem's tools
saved): a key, a JSON object and its times, in a namespace. The bank keeps them in their own
collection, so that a run can be shown them and credited for them like cases.

- **Versions.** A memory's point id is derived from its namespace, key and value as stored
  (`memory_id_for`): one id is one content. A put of new content under a key writes a new
  version and removes the one it replaces, together with that version's visits and its own Q
  bias (credit describes what a run was shown: the old content is gone, and so is what it
  earned; the new content starts from the prior). A put of the same content keeps the
  version, its id and its credit, and only moves its update time and expiry. So, as for
  cases, the content under an id never changes once visits refer to it.
- **Stored form.** The value is redacted of secrets and capped at `MAX_MEMORY_BYTES` of JSON
  (cut by its shape, `memory.bank.json_budget`) before its id is derived, so the id is the
  stored content's. Keys are kept as given (a lookup must find them) and are at most
  `MAX_KEY_CHARS` characters.
- **Expiry.** A memory may have a time to live (minutes, LangGraph's `ttl`): it expires that
  long after its last write or refreshing read, is never shown once expired, and is swept
  (with its visits) by `sweep`.
- **Vectors.** One vector per version, of the text the writer chose to index; a memory put
  with nothing to index is stored with a placeholder vector and never found by a query.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from memory.bank.json_budget import LEVELS, bounded, json_size
from memory.bank.namespaces import check_namespace
from memory.bank.redaction import redact, secrets_in
from memory.engines.protocol import Collection, StoredPoint, Where, match, unpacked

_ID_NAMESPACE = uuid.UUID("0d5f3c9e-8b1a-4f7e-a2c4-6e9b7d1f2a38")
KEYWORDS = ("namespace", "key", "expiring", "unindexed")
MAX_MEMORY_BYTES = 200_000
"""A stored memory's value at most, as UTF-8 JSON (a case's cap)."""
MAX_KEY_CHARS = 1_024
_YES = "yes"


class MemoryWriteError(ValueError):
    """A memory the bank refuses (a value that is not a JSON object, a key too long)."""


class MemoryItem(BaseModel):
    """One version of a memory: its value under its key, and when it was written."""

    id: str
    namespace: str
    key: str
    value: dict[str, Any]
    fields: list[str] = Field(default_factory=list)
    """What its vector was made from (LangGraph index paths); empty: not found by a query."""
    created_at: float
    updated_at: float
    ttl: float | None = None
    """Minutes to live after each write or refreshing read; None: never expires."""
    expires_at: float | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def stored_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """The value as the bank stores it: a JSON object, capped, secrets redacted."""
    if not isinstance(value, Mapping):
        raise MemoryWriteError(f"a memory's value is a JSON object, got {type(value).__name__}")
    try:
        value = json.loads(json.dumps(dict(value), ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise MemoryWriteError(f"a memory's value must be JSON: {exc}") from None
    if json_size(value) > MAX_MEMORY_BYTES:
        for bounds in LEVELS:
            value = bounded(value, bounds)
            if json_size(value) <= MAX_MEMORY_BYTES:
                break
    secrets = secrets_in()
    return redact(value, secrets) if secrets else value


def memory_id_for(namespace: str, key: str, value: Mapping[str, Any]) -> str:
    """The point id of one content of a key (a value as `stored_value` gives it)."""
    content = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(uuid.uuid5(_ID_NAMESPACE, f"{namespace}\x00{key}\x00{content}"))


def check_key(key: str) -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise MemoryWriteError(
            f"a memory's key is 1 to {MAX_KEY_CHARS} characters, got {key!r:.60}"
        )


def expiry(ttl: float | None, now: float) -> float | None:
    return None if ttl is None else round(now + ttl * 60.0, 6)


class MemoryRecords:
    """The memories of one bank: read, written and swept under the bank's lock.

    `forget_credit(ids)` removes what the bank holds about these ids besides the records
    themselves (visits, Q biases); it runs under the same lock as the removal.
    """

    def __init__(
        self,
        collection: Collection,
        lock: threading.RLock,
        dim: int,
        forget_credit: Callable[[list[str]], None],
    ) -> None:
        self._collection = collection
        self._lock = lock
        self._placeholder = [1.0] + [0.0] * (dim - 1)
        self._forget_credit = forget_credit

    # -- reads ---------------------------------------------------------------------------------
    def find(self, namespace: str, key: str) -> MemoryItem | None:
        """The version held under a key (expired or not), or None."""
        found = self._versions(namespace, key)
        return max(found, key=lambda m: m.updated_at) if found else None

    def get_many(self, ids: Sequence[str]) -> list[MemoryItem]:
        """The versions with these ids that exist, in the given order."""
        with self._lock:
            points = self._collection.retrieve(list(ids))
        by_id = {p.id: item for p in points if (item := _item(p.payload))}
        return [by_id[i] for i in ids if i in by_id]

    def list(self, *, namespace: str | None = None, now: float | None = None) -> list[MemoryItem]:
        """Memories not expired at `now` (default: the present), newest first."""
        now = time.time() if now is None else now
        where = Where() if namespace is None else Where(must=(match("namespace", namespace),))
        items = [m for m in self._scroll(where) if not m.expired(now)]
        items.sort(key=lambda m: m.updated_at, reverse=True)
        return items

    def search(
        self, vector: Sequence[float], *, namespace: str, limit: int, now: float | None = None
    ) -> list[tuple[MemoryItem, float]]:
        """The `limit` indexed memories of a namespace most similar to `vector`, best first."""
        check_namespace(namespace)
        now = time.time() if now is None else now
        where = Where(must=(match("namespace", namespace),), must_not=(match("unindexed", _YES),))
        with self._lock:
            hits = self._collection.search(vector, where=where, limit=limit)
        found = [(item, h.score) for h in hits if (item := _item(h.payload))]
        return [(item, score) for item, score in found if not item.expired(now)]

    def count(self, *, namespace: str | None = None) -> int:
        where = Where() if namespace is None else Where(must=(match("namespace", namespace),))
        with self._lock:
            return self._collection.count(where)

    # -- writes --------------------------------------------------------------------------------
    def write(self, item: MemoryItem, vector: Sequence[float] | None) -> None:
        """Store this version and remove every other version of its key (with their credit):
        the last write of a key wins."""
        check_namespace(item.namespace)
        with self._lock:
            others = [m.id for m in self._versions(item.namespace, item.key) if m.id != item.id]
            self._collection.upsert([(memory_point(item), vector or self._placeholder)])
            self._remove(others)

    def rewrite(self, items: Sequence[MemoryItem]) -> None:
        """Store new times or expiry of these versions (same ids, so same content), keeping
        their vectors; a version removed meanwhile stays removed."""
        if not items:
            return
        with self._lock:
            held = self._collection.retrieve([m.id for m in items], with_vectors=True)
            vectors = {p.id: p.vector or self._placeholder for p in held}
            points = [(memory_point(m), vectors[m.id]) for m in items if m.id in vectors]
            self._collection.upsert(points)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove these versions with their visits and Q biases."""
        if ids:
            with self._lock:
                self._remove(list(ids))

    def sweep(self, now: float | None = None) -> int:
        """Remove every memory expired at `now` (default: the present); returns how many."""
        now = time.time() if now is None else now
        expiring = self._scroll(Where(must=(match("expiring", _YES),)))
        doomed = [m.id for m in expiring if m.expired(now)]
        self.delete(doomed)
        return len(doomed)

    def _remove(self, ids: list[str]) -> None:
        if ids:
            self._forget_credit(ids)
            self._collection.delete(ids)

    def _versions(self, namespace: str, key: str) -> list[MemoryItem]:
        check_namespace(namespace)
        return list(self._scroll(Where(must=(match("namespace", namespace), match("key", key)))))

    def _scroll(self, where: Where) -> list[MemoryItem]:
        with self._lock:
            points = list(self._collection.scroll(where))
        return [item for p in points if (item := _item(p.payload))]


def memory_point(item: MemoryItem) -> StoredPoint:
    """A memory as stored, with the keywords its filters match (expiring, unindexed)."""
    payload = item.model_dump()
    if item.expires_at is not None:
        payload["expiring"] = _YES
    if not item.fields:
        payload["unindexed"] = _YES
    return StoredPoint(id=item.id, payload=payload)


def _item(payload: Any) -> MemoryItem | None:
    fields = unpacked(payload) or {}
    try:
        return MemoryItem.model_validate(fields)
    except ValueError:
        return None
