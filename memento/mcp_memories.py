"""General memories as a service for `memento mcp`: search, add, update, delete, get, list.

A memory is any JSON object under a key in a namespace: the bank's memory records, the same
ones a LangGraph store over the bank holds (`memory.adapters.langgraph_store`; the namespace
"memento:alice" is the store's ("memento", "alice")), written with the store's own semantics
(`memory.adapters.store_memories`: the whole value is what a query matches, an update keeps
`created_at`, one version per content). Every call resolves its namespace first by the one
rule of `memento.mcp_scope` (through `CaseMemory.scope`); a memory of another namespace is not
found, whatever its key.

- **search** ranks the namespace's memories by the policy that ranks cases: the server's Q
  estimator of that namespace scores each candidate in the query's state
  (`memory.adapters.store_policy.similar_items`, MementoStore's own path). In train mode a
  search that found something is saved as a retrieval of the bank (kind "memories"), so
  `report_outcome` credits the memories shown, once, from any server over the bank.
- **add** refuses a key that exists (update_memory changes it); **update** refuses one that
  does not. An update with new content is a new version: the old one goes with its visits,
  since the new content is not what earned them, and its score starts again from similarity.
- **Trust.** A value is plain data and never a case: a value with a `reward` field (which the
  store would take as a case) is refused, so nothing enters as a case but through
  report_outcome. Secrets are redacted by the bank before a value is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, get_args

from memento.mcp_case_care import MAX_LISTED
from memento.mcp_memory import CaseMemory
from memento.mcp_memory_models import (
    DeletedMemory,
    FoundMemories,
    FoundMemory,
    MemoryDetail,
    MemoryList,
    MemorySummary,
    UpdatedMemory,
    WrittenMemory,
)
from memento.mcp_scope import MemoryToolError
from memory.adapters.store_cases import CaseWriteError, is_case_value
from memory.adapters.store_memories import DEFAULT_FIELDS, StoreMemories
from memory.adapters.store_policy import save_shown, similar_items
from memory.adapters.store_values import FilterError, check_filter, matches_filter
from memory.bank.memory_items import MemoryItem, MemoryWriteError, check_key
from memory.policy.sampling import Mode


class GeneralMemories:
    """The memory tools' calls, over the bank, embedder, settings, namespace rule and
    per-namespace estimators of a `CaseMemory` (one policy for cases and memories)."""

    def __init__(self, cases: CaseMemory) -> None:
        self.cases = cases
        self.bank, self.ctx = cases.bank, cases.ctx
        self.items = StoreMemories(cases.bank, cases.embedder, DEFAULT_FIELDS)

    def search(
        self,
        query: str,
        limit: int = 10,
        filter: Mapping[str, Any] | None = None,
        mode: str | None = None,
        *,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> FoundMemories:
        """The namespace's memories best for `query` by the policy's score (those matching
        `filter`), and in train mode a retrieval id to report the outcome with."""
        scope = self.cases.scope(namespace, user_id)
        query = query.strip()
        if not query:
            raise MemoryToolError("query is empty")
        _check_limit(limit)
        mode = mode or self.ctx.mode
        if mode not in get_args(Mode):
            raise MemoryToolError(f"mode must be one of {list(get_args(Mode))}, got {mode!r}")
        with _refusals():
            if filter is not None:
                check_filter(filter)
        vector = [float(x) for x in self.cases.embedder.embed_query(query)]
        want = None if filter else limit  # a filter may drop any of them: score them all
        with self.cases.lock:
            estimator = self.cases.estimator(scope.namespace)
            found = similar_items(
                self.bank, self.items, estimator, vector, [scope.namespace], want, cases=False
            )
        if filter:
            found = [hit for hit in found if matches_filter(hit[0].value, filter)]
        page = found[:limit]
        held = {m.id: m for m in self.bank.memories.get_many([mid for _, mid in page if mid])}
        shown = [(held[mid], float(item.score or 0.0)) for item, mid in page if mid in held]
        self.items.refreshed([m for m, _ in shown if m.ttl is not None])  # read: expiry restarts
        retrieval_id = None
        if mode == "train" and shown:  # kept for report_outcome, as a store search in a run is
            ids = [(scope.namespace, m.id) for m, _ in shown]
            [retrieval_id] = save_shown(self.bank, "", query, vector, ids)
        memories = [
            FoundMemory(**MemorySummary.of(m).model_dump(), score=score) for m, score in shown
        ]
        return FoundMemories(
            retrieval_id=retrieval_id, namespace=scope.namespace, mode=mode, memories=memories
        )

    def add(
        self,
        value: Mapping[str, Any],
        key: str | None = None,
        *,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> WrittenMemory:
        """Store `value` under a new key (a fresh UUID when none is given)."""
        ns = self.cases.scope(namespace, user_id).namespace
        key = str(uuid.uuid4()) if key is None else key
        self._check_write(ns, key, value)
        if self.items.get(ns, key, refresh=False) is not None:
            raise MemoryToolError(
                f"key {key!r} already holds a memory in namespace {ns!r}: change it with "
                "update_memory, or add under another key"
            )
        with _refusals():
            item = self.items.put(ns, key, value, None, None)
        return WrittenMemory(namespace=ns, key=key, version=item.id, created_at=item.created_at)

    def update(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> UpdatedMemory:
        """Replace the value under an existing key (a new version when the content changed)."""
        ns = self.cases.scope(namespace, user_id).namespace
        self._check_write(ns, key, value)
        held = self._own(ns, key)
        visits = len(self.bank.list_visits(case_id=held.id))
        index = held.fields or False  # indexed as it was (a store put may have chosen fields)
        with _refusals():
            item = self.items.put(ns, key, value, index, held.ttl)
        changed = item.id != held.id
        return UpdatedMemory(
            namespace=ns,
            key=key,
            version=item.id,
            previous_version=held.id,
            credit_restarted=changed,
            visits_dropped=visits if changed else 0,
        )

    def delete(
        self, key: str, *, namespace: str | None = None, user_id: str | None = None
    ) -> DeletedMemory:
        """Delete the memory under `key` with its visits."""
        ns = self.cases.scope(namespace, user_id).namespace
        held = self._own(ns, key)
        visits = len(self.bank.list_visits(case_id=held.id))
        self.bank.memories.delete([held.id])
        return DeletedMemory(namespace=ns, key=key, version=held.id, visits=visits)

    def get(
        self, key: str, *, namespace: str | None = None, user_id: str | None = None
    ) -> MemoryDetail:
        """The memory under `key`, and the visits its score is made of (its expiry restarts)."""
        ns = self.cases.scope(namespace, user_id).namespace
        item = self.items.get(ns, key, refresh=True) if key else None
        if item is None:
            raise self._missing(ns, key)
        visits = len(self.bank.list_visits(case_id=item.id))
        return MemoryDetail(**MemorySummary.of(item).model_dump(), namespace=ns, visits=visits)

    def list(
        self,
        limit: int = 20,
        offset: int = 0,
        *,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> MemoryList:
        """One page of the namespace's memories, most recently written first."""
        ns = self.cases.scope(namespace, user_id).namespace
        _check_limit(limit)
        if offset < 0:
            raise MemoryToolError(f"offset must be 0 or more, got {offset}")
        items = self.bank.memories.list(namespace=ns)
        page = [MemorySummary.of(m) for m in items[offset : offset + limit]]
        return MemoryList(namespace=ns, total=len(items), offset=offset, memories=page)

    def _check_write(self, namespace: str, key: str, value: Mapping[str, Any]) -> None:
        with _refusals():
            check_key(key)
        if is_case_value(value):
            raise MemoryToolError(
                "a value with a 'reward' field is a case, and cases are written only by "
                "report_outcome: a memory is plain data, so rename the field"
            )
        case = self.bank.get(key)
        if case is not None and case.namespace == namespace:
            raise MemoryToolError(f"key {key!r} holds a case: put the memory under another key")

    def _own(self, namespace: str, key: str) -> MemoryItem:
        held = self.items.get(namespace, key, refresh=False) if key else None
        if held is None:
            raise self._missing(namespace, key)
        return held

    @staticmethod
    def _missing(namespace: str, key: str) -> MemoryToolError:
        return MemoryToolError(
            f"no memory under key {key!r} in namespace {namespace!r} (list_memories or "
            "search_memories show the keys; add_memory stores a new one)"
        )


@contextmanager
def _refusals() -> Iterator[None]:
    """The bank's refusals of a value, key or filter, as the client's to fix."""
    try:
        yield
    except (MemoryWriteError, FilterError, CaseWriteError) as exc:
        raise MemoryToolError(str(exc)) from None


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LISTED:
        raise MemoryToolError(f"limit must be in [1, {MAX_LISTED}], got {limit}")
