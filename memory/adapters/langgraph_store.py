"""The case bank as a LangGraph `BaseStore`: general memories beside the cases, one store.

    store = MementoStore(bank, embedder)
    graph = builder.compile(store=store)            # or create_agent(..., store=store)
    store.put(("memories", "alice"), "prefs", {"food": "thai"})
    store.search(("memories", "alice"), query="what does alice eat?", limit=4)

What LangGraph users keep in a store (`runtime.store`, LangMem's memory tools, the LangGraph
Server store API that Studio's memory view reads) is here the case bank itself: any JSON
object under any key is a general memory (`memory.adapters.store_memories`, with LangGraph's
put / get / delete / search / TTL semantics), and the bank's cases are items too, so they can
be looked at and curated with the same tools. A value with a `reward` is a case
(`memory.adapters.store_cases`); every other value is a memory.

- **Namespaces.** The store's tuple is the bank's namespace with ':' between the labels
  (`memory.adapters.store_namespaces`): ("memento", "alice") is "memento:alice". A tuple that cannot
  map raises `InvalidNamespaceError` naming the label; a search or listing never crosses from one
  bank namespace into another, so each user's cases stay their own.
- **Memories.** Put overwrites, keeps `created_at`; `index` (the store's `index={"fields":
  [...]}`, default the whole value as JSON, or a put's own list, or `False`) says what a query
  matches; `ttl` in minutes, `ttl=TTLConfig(...)` for defaults (`refresh_on_read`). Each
  content of a key is its own version in the bank, credited by the runs it was shown to; an
  update starts a new version and its visits go with the old one (`memory.bank.memory_items`).
- **Cases.** One item per case: key = case id, value = the case as JSON (question, plan,
  trajectory, answer, reward, judge rationale, provenance, attempts, models, run id). Visits
  and Q weights are not items: they are the policy's bookkeeping about cases, are written only
  by runs, and Q(s, c) depends on a state, so no single number belongs in a case's value
  (`memento cases why` explains one retrieval).
- **Search.** With a `query`: the bank's vector search over the cases' questions and the
  memories' indexed text, by the one embedder, ranked by the retrieval policy, the same as the
  graph's (`memory.adapters.store_policy`): the score starts at the cosine similarity of the
  query to each (one scale for cases and memories) and moves as far as the item's credit near
  the query reaches; `estimator=SimilarityQ()` ranks by similarity alone. Quarantined cases and
  unindexed memories are never found by a query. Without one: the cases and memories under the
  prefix, newest first.
  `filter` matches value fields like LangGraph's own stores (equality, nested dicts, `$eq`,
  `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$and`).
- **Writes.** Cases are immutable once written (`memory.bank.identity`): credit in the visits
  describes what a planner was shown. So a case's key is derived from its namespace, question
  and outcome (`key_for`), a `put` must use that key, and putting new content under an
  existing case's key is refused with the key to use instead: a correction is a new case
  beside the old one, which stays until it is deleted. Putting a case that exists unchanged
  does nothing (a put is idempotent; attempts count runs, not edits). `delete` removes the
  case and its visits, and with them the credit they carried. A case is always indexed by its
  question (a put's `index` and `ttl` are ignored): cases do not expire.
- **Trust.** A memory claims nothing (its fields are data). Anyone who reaches a store may
  put (`langgraph dev`'s store API has no authentication), so a put's provenance is never
  taken: a case put is "imported" (shown apart, never as a success; "quarantined" stays so),
  as `get` then shows. `trusted=True` keeps the provenance a case's value names: the app's
  own code chooses it for writes it vouches for; Studio's store is trusted only where a
  person sets `MEMENTO_STORE_TRUSTED` (`graphs.studio_store`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
)

from memory.adapters.store_cases import (
    CaseWriteError,
    case_from_value,
    case_item_fields,
    case_key,
    case_search_item,
    case_to_put,
    is_case_value,
    stored_form,
)
from memory.adapters.store_memories import DEFAULT_FIELDS, StoreMemories, memory_item
from memory.adapters.store_namespaces import bank_namespace, matches_condition, store_namespace
from memory.adapters.store_policy import current_run, save_shown, similar_items
from memory.adapters.store_values import check_filter, matches_filter
from memory.bank.casebank import CaseBank
from memory.bank.memory_items import MemoryWriteError
from memory.bank.records import Case
from memory.policy.kernel import KernelQ
from memory.policy.scores import QEstimator
from memory.policy.write import credit_retrievals

__all__ = ["CaseWriteError", "MementoStore", "MemoryWriteError", "case_from_value"]


class MementoStore(BaseStore):
    """A case bank seen through LangGraph's `BaseStore` interface (the module docstring; its
    "Trust" for `trusted`). Sync and async: the async methods run the bank in a worker thread.

    `index={"fields": [...]}` names what a memory's query matches (default `["$"]`, the whole
    value); `ttl` is LangGraph's `TTLConfig` (`default_ttl` in minutes, `refresh_on_read`);
    `estimator` ranks a query's results and credits the memories shown to a run
    (`memory.adapters.store_policy`, `report_run`): by default the product's policy, kernel Q
    with the defaults of `memory.policy.defaults`, as in the graph.
    """

    supports_ttl = True

    def __init__(
        self,
        bank: CaseBank,
        embedder: Embeddings,
        *,
        trusted: bool = False,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
        estimator: QEstimator | None = None,
    ) -> None:
        self.bank = bank
        self.embedder = embedder
        self.trusted = trusted
        self.index_config = index
        self.ttl_config = ttl
        self.estimator: QEstimator = estimator if estimator is not None else KernelQ(bank)
        fields = (index or {}).get("fields") or DEFAULT_FIELDS
        self.memories = StoreMemories(bank, embedder, fields)
        self._namespaces: tuple[tuple[int, ...], list[tuple[str, ...]]] = ((-1,), [])
        self._writes = 0  # puts and deletes through this store

    def __repr__(self) -> str:
        return f"MementoStore(bank={self.bank.location!r}, trusted={self.trusted})"

    # -- BaseStore ------------------------------------------------------------------------------
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        if any(isinstance(op, PutOp) for op in ops):
            self.sweep_ttl()  # expired memories go, with their visits, at each write
        return [self._run(op) for op in ops]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await asyncio.to_thread(self.batch, list(ops))

    def report_run(self, namespace: tuple[str, ...], run_id: str, reward: float) -> int:
        """Credit the memories this run's searches showed in `namespace` with the run's reward
        (0-1), once; returns the number of visits stored."""
        return credit_retrievals(
            self.bank, self.estimator, namespace=bank_namespace(namespace), run_id=run_id,
            reward=reward,
        )  # fmt: skip

    def sweep_ttl(self) -> int:
        """Remove every expired memory of the bank now; returns how many went."""
        return self.bank.memories.sweep()

    def _run(self, op: Op) -> Result:
        if isinstance(op, GetOp):
            return self._get(op)
        if isinstance(op, SearchOp):
            return self._search(op)
        if isinstance(op, PutOp):
            return self._put(op)
        if isinstance(op, ListNamespacesOp):
            return self._list_namespaces(op)
        raise TypeError(f"unknown store operation {type(op).__name__}")

    # -- the key a case is stored under -------------------------------------------------------
    def key_for(self, namespace: tuple[str, ...], value: Mapping[str, Any]) -> str:
        """The key a `put` of this case value into this namespace must use (the case's id)."""
        return case_key(stored_form(case_from_value(bank_namespace(namespace), value)))

    # -- reads ----------------------------------------------------------------------------------
    def _get(self, op: GetOp) -> Item | None:
        namespace = bank_namespace(op.namespace)
        case = self._case(namespace, op.key)
        if case is not None:
            return Item(namespace=op.namespace, key=case.id, **case_item_fields(case))
        memory = self.memories.get(namespace, op.key, refresh=op.refresh_ttl)
        return memory_item(memory) if memory is not None else None

    def _case(self, namespace: str, key: str) -> Case | None:
        """The case under this key in this namespace (another namespace's is not there)."""
        case = self.bank.get(key)
        return case if case is not None and case.namespace == namespace else None

    def _search(self, op: SearchOp) -> list[SearchItem]:
        if op.filter is not None:
            check_filter(op.filter)  # one line naming what is wrong, before anything is read
        namespaces = self._namespaces_under(op.namespace_prefix)
        if op.query:
            page = self._similar(op, namespaces)  # filtered and paged there
        else:
            found = [
                case_search_item(c, None)
                for ns in namespaces
                for c in self.bank.list_cases(namespace=ns)
            ]
            found += [memory_item(m, found=True) for m in self.memories.listed(namespaces)]
            found.sort(key=lambda item: item.updated_at, reverse=True)
            if op.filter:
                found = [item for item in found if matches_filter(item.value, op.filter)]
            page = found[op.offset : op.offset + op.limit]
        if op.refresh_ttl:
            self._refresh(op.namespace_prefix, page)
        return page

    def _similar(self, op: SearchOp, namespaces: list[str]) -> list[SearchItem]:
        """Vector search of cases and memories in each namespace, merged best first (all of
        them when a filter will drop some, else just enough for the page); inside a run that
        names itself, the memories of the page are saved as a retrieval of that run."""
        if not namespaces:
            return []
        vector = self.embedder.embed_query(op.query or "")
        want = None if op.filter else op.offset + op.limit
        found = similar_items(self.bank, self.memories, self.estimator, vector, namespaces, want)
        if op.filter:
            found = [hit for hit in found if matches_filter(hit[0].value, op.filter)]
        page = found[op.offset : op.offset + op.limit]
        shown = [(bank_namespace(item.namespace), mid) for item, mid in page if mid is not None]
        if shown and (run_id := current_run()) is not None:
            save_shown(self.bank, run_id, op.query or "", vector, shown)
        return [item for item, _ in page]

    def _refresh(self, prefix: tuple[str, ...], page: Sequence[SearchItem]) -> None:
        """Restart the expiry of the memories a search returned."""
        keys = {(bank_namespace(item.namespace), item.key) for item in page}
        if keys:
            held = [m for ns, key in keys if (m := self.bank.memories.find(ns, key)) and m.ttl]
            self.memories.refreshed(held)

    def _list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        found = self._store_namespaces()
        for condition in op.match_conditions or ():
            found = [ns for ns in found if matches_condition(condition, ns)]
        if op.max_depth is not None:
            found = {ns[: op.max_depth] for ns in found}
        return sorted(found)[op.offset : op.offset + op.limit]

    def _namespaces_under(self, prefix: tuple[str, ...]) -> list[str]:
        if prefix:
            bank_namespace(prefix)  # a prefix that cannot map is an error, not an empty result
        return [
            bank_namespace(ns) for ns in self._store_namespaces() if ns[: len(prefix)] == prefix
        ]

    def _store_namespaces(self) -> list[tuple[str, ...]]:
        """Every bank namespace that has a tuple and holds cases or memories.

        Finding them reads every case and memory (the engines have no distinct-values query;
        see `benchmarks/store_namespaces.py`), so they are kept until the number of cases or
        memories changes (a run's new case; an indexed count, well under 1 ms) or this store
        puts or deletes. Only a delete elsewhere (`memento cases delete` on a shared server
        bank) balanced by a new record in between two calls can leave a new namespace unseen
        until the next write; an expired memory's namespace shows until it is swept.
        """
        version = (self.bank.count(), self.bank.memories.count(), self._writes)
        held_version, held = self._namespaces
        if version == held_version:
            return held
        names = {case.namespace for case in self.bank.list_cases()} | self.memories.namespaces()
        found = [ns for name in names if (ns := store_namespace(name)) is not None]
        self._namespaces = (version, found)
        return found

    # -- writes ---------------------------------------------------------------------------------
    def _put(self, op: PutOp) -> None:
        namespace = bank_namespace(op.namespace)
        self._writes += 1
        held = self._case(namespace, op.key)
        if op.value is None:
            if held is not None:
                self.bank.delete([held.id])  # its visits go with it
            else:
                self.memories.delete(namespace, op.key)  # and a memory's with it
            return
        if not is_case_value(op.value):
            if held is not None:
                raise CaseWriteError(
                    f"key {op.key!r} holds a case, which a memory cannot replace: a case is "
                    "immutable once written; delete it first, or put the memory under another key"
                )
            self.memories.put(namespace, op.key, op.value, op.index, op.ttl)
            return
        self._put_case(namespace, op, held)

    def _put_case(self, namespace: str, op: PutOp, held: Case | None) -> None:
        case = case_to_put(namespace, op.key, op.value or {}, held, trusted=self.trusted)
        if held is None:
            if self.bank.memories.find(namespace, op.key) is not None:
                raise CaseWriteError(f"key {op.key!r} holds a memory; delete it first")
            self.bank.add(case, self.embedder.embed_query(case.question))
