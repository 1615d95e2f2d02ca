"""General memories through the store: LangGraph's `BaseStore` semantics over the bank's
memory records (`memory.bank.memory_items`).

- **put** overwrites: the key's value becomes the new one (a new version when the content
  changed, whose visits start empty; the old version goes with its visits), `created_at` is
  kept from the first put of the key and `updated_at` moves. Putting the same content again
  keeps the version and its credit and only moves `updated_at` and the expiry.
- **index**: the fields embedded for a query, LangGraph paths ("$" the whole value as JSON,
  "a.b", "items[*].text", "{a,b}"), from the store's `index={"fields": [...]}` or a put's own
  list; `index=False` stores a memory no query finds (a listing without a query shows it).
  Where LangGraph embeds each field's text apart and takes the best match, the texts of one
  memory are joined into one and embedded once (`embed_documents`): one vector per version,
  which is what a visit credits.
- **ttl** (minutes) starts again at each put and, unless a read says `refresh_ttl=False`,
  at each get or search that returns the memory; an expired memory is never returned and is
  swept with its visits.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from langchain_core.embeddings import Embeddings
from langgraph.store.base import Item, SearchItem, get_text_at_path, tokenize_path

from memory.adapters.store_namespaces import store_namespace
from memory.bank.casebank import CaseBank
from memory.bank.memory_items import (
    MemoryItem,
    check_key,
    expiry,
    memory_id_for,
    stored_value,
)

DEFAULT_FIELDS = ("$",)


def indexed_text(value: Mapping[str, Any], fields: Sequence[str]) -> str | None:
    """The text a query is matched against: each field's text, joined; None if there is none."""
    texts: list[str] = []
    for path in fields:
        texts += get_text_at_path(value, "$" if path == "$" else tokenize_path(path))
    texts = [t for t in texts if t.strip()]
    return "\n".join(texts) if texts else None


class StoreMemories:
    """The memory half of a `MementoStore`: what its get, put, search and delete do for
    values that are not cases."""

    def __init__(self, bank: CaseBank, embedder: Embeddings, fields: Sequence[str]) -> None:
        self.bank = bank
        self.embedder = embedder
        self.fields = list(fields)

    def get(self, namespace: str, key: str, *, refresh: bool) -> MemoryItem | None:
        now = time.time()
        held = self.bank.memories.find(namespace, key)
        if held is None or held.expired(now):
            return None
        return self.refreshed([held], now)[0] if refresh else held

    def put(
        self,
        namespace: str,
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None,
        ttl: float | None,
    ) -> MemoryItem:
        check_key(key)
        stored = stored_value(value)
        fields = self.fields if index is None else [] if index is False else list(index)
        text = indexed_text(stored, fields)
        if text is None:
            fields = []
        now = time.time()
        held = self.bank.memories.find(namespace, key)
        if held is not None and held.expired(now):
            held = None  # an expired key is a new key (its version goes at the write below)
        times = {"updated_at": round(now, 6), "ttl": ttl, "expires_at": expiry(ttl, now)}
        new_id = memory_id_for(namespace, key, stored)
        if held is not None and held.id == new_id and held.fields == fields:
            same = held.model_copy(update=times)
            self.bank.memories.rewrite([same])
            return same
        item = MemoryItem(
            id=new_id,
            namespace=namespace,
            key=key,
            value=stored,
            fields=fields,
            created_at=held.created_at if held is not None else round(now, 6),
            **times,
        )
        vector = self.embedder.embed_documents([text])[0] if text is not None else None
        self.bank.memories.write(item, vector)
        return item

    def delete(self, namespace: str, key: str) -> bool:
        held = self.bank.memories.find(namespace, key)
        if held is not None:
            self.bank.memories.delete([held.id])
        return held is not None

    def listed(self, namespaces: Sequence[str]) -> list[MemoryItem]:
        return [m for ns in namespaces for m in self.bank.memories.list(namespace=ns)]

    def similar(
        self, vector: Sequence[float], namespaces: Sequence[str], limit: int | None
    ) -> list[tuple[MemoryItem, float]]:
        """The indexed memories most similar to `vector` in each namespace (all of them when
        `limit` is None)."""
        found = []
        for ns in namespaces:
            n = self.bank.memories.count(namespace=ns) if limit is None else limit
            if n > 0:
                found += self.bank.memories.search(vector, namespace=ns, limit=n)
        return found

    def refreshed(self, items: list[MemoryItem], now: float | None = None) -> list[MemoryItem]:
        """The items with their expiry restarted (stored), those without a ttl as they are."""
        now = time.time() if now is None else now
        fresh = [
            m.model_copy(update={"expires_at": expiry(m.ttl, now)}) if m.ttl is not None else m
            for m in items
        ]
        self.bank.memories.rewrite([m for m in fresh if m.ttl is not None])
        return fresh

    def namespaces(self) -> set[str]:
        return {m.namespace for m in self.bank.memories.list()}


def memory_item(item: MemoryItem, score: float | None = None, *, found: bool = False) -> Item:
    """A memory as LangGraph's `Item` (`SearchItem`, with its score, when `found`)."""
    fields: dict[str, Any] = {
        "namespace": store_namespace(item.namespace) or (item.namespace,),
        "key": item.key,
        "value": item.value,
        "created_at": datetime.fromtimestamp(item.created_at, tz=UTC),
        "updated_at": datetime.fromtimestamp(item.updated_at, tz=UTC),
    }
    return SearchItem(**fields, score=score) if found else Item(**fields)
