"""The case bank as a LangGraph `BaseStore`: cases browsed, searched and edited as store items.

    store = MementoStore(bank, embedder)
    graph = builder.compile(store=store)            # or create_agent(..., store=store)
    store.search(("memento", "alice"), query="multiply numbers", limit=4)

What LangGraph users keep in a store (`runtime.store`, the LangGraph Server store API that
Studio's memory view reads) is here the case bank itself, so cases can be looked at and
curated with the tools they already use.

- **Namespaces.** The store's tuple is the bank's namespace with ':' between the labels
  (`memory.adapters.store_namespaces`): ("memento", "alice") is "memento:alice". A tuple that cannot
  map raises `InvalidNamespaceError` naming the label; a search or listing never crosses from one
  bank namespace into another, so each user's cases stay their own.
- **Items.** One item per case: key = case id, value = the case as JSON (question, plan,
  trajectory, answer, reward, judge rationale, provenance, attempts, models, run id). Visits
  and Q weights are not items: they are the policy's bookkeeping about cases, are written only
  by runs, and Q(s, c) depends on a state, so no single number belongs in a case's value
  (`memento cases why` explains one retrieval).
- **Search.** With a `query`: the bank's vector search over the cases' questions (the embedder
  the bank was written with), score = cosine similarity, quarantined cases never found, as in
  retrieval. Without one: the cases of the namespaces under the prefix, newest first.
  `filter` matches value fields like LangGraph's own stores (equality, nested dicts, `$eq`,
  `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$and`).
- **Writes.** Cases are immutable once written (`memory.bank.identity`): credit in the visits
  describes what a planner was shown. So a case's key is derived from its namespace, question
  and outcome (`key_for`), a `put` must use that key, and putting new content under an
  existing case's key is refused with the key to use instead: a correction is a new case
  beside the old one, which stays until it is deleted. Putting a case that exists unchanged
  does nothing (a put is idempotent; attempts count runs, not edits). `delete` removes the
  case and its visits, and with them the credit they carried. A case is always indexed by its
  question (a put's `index` is ignored); there are no TTLs.
- **Trust.** Anyone who reaches a store may put (`langgraph dev`'s store API has no
  authentication), so a put's provenance is never taken: a case put is "imported" (shown apart,
  never as a success; "quarantined" stays so), as `get` then shows. `trusted=True` keeps the
  provenance a value names: the app's own code chooses it for writes it vouches for; Studio's
  store is trusted only where a person sets `MEMENTO_STORE_TRUSTED` (`graphs.studio_store`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, get_args

from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)
from pydantic import ValidationError

from memory.adapters.store_namespaces import bank_namespace, store_namespace
from memory.adapters.store_values import check_filter, matches_filter
from memory.bank.casebank import CaseBank
from memory.bank.identity import case_id_for, outcome_key
from memory.bank.limits import capped_case
from memory.bank.provenance import Provenance, untrusted_provenance
from memory.bank.records import Case
from memory.bank.redaction import redact, secrets_in

_KEPT_BY_BANK = frozenset({"id", "namespace"})  # the item's key and namespace
_SET_BY_BANK = frozenset({"attempts", "created_at", "updated_at"})  # ignored when put
_TIMES = frozenset({"created_at", "updated_at"})  # the item's own times
_WRITABLE = frozenset(Case.model_fields) - _KEPT_BY_BANK - _SET_BY_BANK


class CaseWriteError(ValueError):
    """A put the bank refuses: a value that is not a case, a wrong key, an immutable case."""


class MementoStore(BaseStore):
    """A case bank seen through LangGraph's `BaseStore` interface (the module docstring; its
    "Trust" for `trusted`). Sync and async: the async methods run the bank in a worker thread."""

    def __init__(self, bank: CaseBank, embedder: Embeddings, *, trusted: bool = False) -> None:
        self.bank = bank
        self.embedder = embedder
        self.trusted = trusted
        self._namespaces: tuple[tuple[int, int], list[tuple[str, ...]]] = ((-1, -1), [])
        self._writes = 0  # puts and deletes through this store

    def __repr__(self) -> str:
        return f"MementoStore(bank={self.bank.location!r}, trusted={self.trusted})"

    # -- BaseStore ------------------------------------------------------------------------------
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return [self._run(op) for op in ops]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await asyncio.to_thread(self.batch, list(ops))

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
        """The key a `put` of this value into this namespace must use (the case's id)."""
        return _case_key(_stored_form(case_from_value(bank_namespace(namespace), value)))

    # -- reads ----------------------------------------------------------------------------------
    def _get(self, op: GetOp) -> Item | None:
        namespace = bank_namespace(op.namespace)
        case = self.bank.get(op.key) if _is_uuid(op.key) else None
        if case is None or case.namespace != namespace:
            return None  # another namespace's case is not there for this one
        return Item(namespace=op.namespace, key=case.id, **_item_fields(case))

    def _search(self, op: SearchOp) -> list[SearchItem]:
        if op.filter is not None:
            check_filter(op.filter)  # one line naming what is wrong, before anything is read
        namespaces = self._namespaces_under(op.namespace_prefix)
        if op.query:
            found = self._similar(op, namespaces)
        else:
            found = [(c, None) for ns in namespaces for c in self.bank.list_cases(namespace=ns)]
            found.sort(key=lambda hit: hit[0].updated_at, reverse=True)
        items = [_search_item(case, score) for case, score in found]
        if op.filter:
            items = [item for item in items if matches_filter(item.value, op.filter)]
        return items[op.offset : op.offset + op.limit]

    def _similar(self, op: SearchOp, namespaces: list[str]) -> list[tuple[Case, float | None]]:
        """Vector search in each namespace, merged best first (all cases when a filter will
        drop some, else just enough for the page)."""
        if not namespaces:
            return []
        vector = self.embedder.embed_query(op.query or "")
        hits = []
        for namespace in namespaces:
            limit = self.bank.count(namespace=namespace) if op.filter else op.offset + op.limit
            if limit > 0:
                hits += self.bank.search(vector, namespace=namespace, limit=limit)
        hits.sort(key=lambda hit: hit.similarity, reverse=True)
        return [(hit.case, hit.similarity) for hit in hits]

    def _list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        found = self._store_namespaces()
        for condition in op.match_conditions or ():
            found = [ns for ns in found if _matches_condition(condition, ns)]
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
        """Every bank namespace that has a tuple.

        Finding them reads every case (the engines have no distinct-values query; see
        `benchmarks/store_namespaces.py`), so they are kept until the number of cases changes
        (a run's new case; an indexed count, well under 1 ms) or this store puts or deletes.
        Only a delete elsewhere (`memento cases delete` on a shared server bank) balanced by
        a new case in between two calls can leave a new namespace unseen until the next write.
        """
        version = (self.bank.count(), self._writes)
        held_version, held = self._namespaces
        if version == held_version:
            return held
        names = {case.namespace for case in self.bank.list_cases()}
        found = [ns for name in names if (ns := store_namespace(name)) is not None]
        self._namespaces = (version, found)
        return found

    # -- writes ---------------------------------------------------------------------------------
    def _put(self, op: PutOp) -> None:
        namespace = bank_namespace(op.namespace)
        self._writes += 1
        held = self.bank.get(op.key) if _is_uuid(op.key) else None
        if held is not None and held.namespace != namespace:
            held = None  # a key in another namespace is not this namespace's case
        if op.value is None:
            if held is not None:
                self.bank.delete([held.id])  # its visits go with it
            return
        case = _stored_form(case_from_value(namespace, op.value))
        if not self.trusted:  # every write through the store comes here (see "Trust")
            case = case.model_copy(update={"provenance": untrusted_provenance(case.provenance)})
        key = _case_key(case)
        if held is not None and held.id != key:
            raise CaseWriteError(
                f"case {op.key!r} cannot change: a case is immutable once written (its visits "
                f"credit what it showed). Put the new content under key {key!r} as a new case, "
                f"and delete {op.key!r} if it is obsolete"
            )
        if op.key != key:
            raise CaseWriteError(
                f"key {op.key!r} is not this case's: a case's key is derived from its "
                f"namespace, question and outcome; put it under key {key!r} "
                "(MementoStore.key_for gives it)"
            )
        if held is None:
            self.bank.add(case, self.embedder.embed_query(case.question))


def case_from_value(namespace: str, value: Mapping[str, Any]) -> Case:
    """A new case of `namespace` from an item value; CaseWriteError names what is wrong.

    Needs `question` and `reward` (0-1); takes the other fields a case has. The fields the bank
    sets (attempts, times) are ignored, so a value read with `get` can be put back.
    """
    if not isinstance(value, Mapping):
        raise CaseWriteError(f"a case's value is a JSON object, got {type(value).__name__}")
    unknown = set(value) - _WRITABLE - _SET_BY_BANK - _KEPT_BY_BANK
    if unknown:
        names = ", ".join(sorted(map(repr, unknown)))
        raise CaseWriteError(f"unknown case field {names}; the fields are {sorted(_WRITABLE)}")
    question = value.get("question")
    if not isinstance(question, str) or not question.strip():
        raise CaseWriteError("a case needs a 'question': a non-empty string")
    reward = value.get("reward")
    if isinstance(reward, bool) or not isinstance(reward, int | float) or not 0 <= reward <= 1:
        raise CaseWriteError(f"a case needs a 'reward' from 0 to 1, got {reward!r}")
    provenance = value.get("provenance", "imported")
    if provenance not in get_args(Provenance):
        choices = ", ".join(get_args(Provenance))
        raise CaseWriteError(f"'provenance' must be one of {choices}; got {provenance!r}")
    fields = {k: v for k, v in value.items() if k in _WRITABLE}
    try:
        return Case(
            **{**fields, "question": question.strip(), "provenance": provenance},
            id="",
            namespace=namespace,
            created_at=0.0,
            updated_at=0.0,
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise CaseWriteError(f"case field {where!r}: {problem['msg']}") from None


def _stored_form(case: Case) -> Case:
    """The case as the bank stores it (capped, secrets redacted), whose id the bank derives."""
    case = capped_case(case)
    secrets = secrets_in()
    return Case.model_validate(redact(case.model_dump(), secrets)) if secrets else case


def _case_key(case: Case) -> str:
    return case_id_for(case.namespace, case.question, outcome_key(case))


def _search_item(case: Case, score: float | None) -> SearchItem:
    namespace = store_namespace(case.namespace) or (case.namespace,)
    return SearchItem(namespace=namespace, key=case.id, score=score, **_item_fields(case))


def _item_fields(case: Case) -> dict[str, Any]:
    """A case's item value (all but its id and namespace, which are key and namespace) and
    times."""
    return {
        "value": case.model_dump(mode="json", exclude=set(_KEPT_BY_BANK | _TIMES)),
        "created_at": datetime.fromtimestamp(case.created_at, tz=UTC),
        "updated_at": datetime.fromtimestamp(case.updated_at, tz=UTC),
    }


def _matches_condition(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    """LangGraph's prefix / suffix match, '*' matching any one label."""
    path = tuple(condition.path)
    if not path:
        return True
    if len(namespace) < len(path):
        return False
    part = namespace[: len(path)] if condition.match_type == "prefix" else namespace[-len(path) :]
    return all(want in ("*", got) for want, got in zip(path, part, strict=True))


def _is_uuid(key: str) -> bool:
    """Case ids are UUIDs; any other key names no case (and must not reach the engine)."""
    try:
        uuid.UUID(key)
    except (ValueError, TypeError, AttributeError):
        return False
    return True
