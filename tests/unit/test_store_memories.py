"""General memories through `MementoStore`: LangGraph's `BaseStore` semantics, one by one.

Any JSON object under any key is a memory, stored in the bank beside the cases; these are the
behaviours LangGraph's own stores have (put overwrites and keeps created_at, get, delete,
search with a query / filter / limit / offset, list_namespaces, index fields, TTL), on every
engine, and what a memory's versions do to its credit.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from langgraph.store.base import Item, SearchItem

from memory import CaseBank, Visit
from memory.adapters.langgraph_store import CaseWriteError, MementoStore
from memory.bank.memory_items import MAX_MEMORY_BYTES, MemoryWriteError
from tests.backends import ENGINES, scratch_folder, store_location
from tests.fakes import HashingEmbedder

ALICE, BOB = ("memories", "alice"), ("memories", "bob")
SUM = {"question": "What is 17 * 23 + 4?", "answer": "395", "reward": 1.0}


@pytest.fixture(params=ENGINES)
def bank(request: pytest.FixtureRequest, tmp_path: Path) -> CaseBank:
    with (
        scratch_folder(tmp_path) as folder,
        CaseBank(store_location(request.param, folder), dim=64) as bank,
    ):
        yield bank


@pytest.fixture
def store(bank: CaseBank) -> MementoStore:
    return MementoStore(bank, HashingEmbedder(dim=64))


def _visit(bank: CaseBank, memory_id: str, n: int = 0) -> None:
    visit = Visit(
        id=f"0b7d3c52-0000-4f55-a0f4-5b2f1f4f7c{n:02d}",
        case_id=memory_id,
        namespace="memories:alice",
        target=1.0,
        created_at=time.time(),
    )
    bank.add_visits([(visit, [1.0] + [0.0] * 63)])


def test_any_value_under_any_key_is_got_back_in_its_namespace_only(store: MementoStore) -> None:
    store.put(ALICE, "prefs", {"food": "thai", "tags": ["spicy", 3], "nested": {"a": None}})
    item = store.get(ALICE, "prefs")
    assert isinstance(item, Item) and item.namespace == ALICE and item.key == "prefs"
    assert item.value == {"food": "thai", "tags": ["spicy", 3], "nested": {"a": None}}
    assert item.created_at == item.updated_at and item.created_at.tzinfo is not None
    assert store.get(BOB, "prefs") is None and store.get(ALICE, "other") is None


def test_put_overwrites_keeping_created_at_and_delete_removes(store: MementoStore) -> None:
    store.put(ALICE, "prefs", {"food": "thai"})
    first = store.get(ALICE, "prefs")
    time.sleep(0.01)
    store.put(ALICE, "prefs", {"food": "sushi"})
    second = store.get(ALICE, "prefs")
    assert second.value == {"food": "sushi"} and len(store.search(ALICE)) == 1
    assert second.created_at == first.created_at and second.updated_at > first.updated_at
    time.sleep(0.01)
    store.put(ALICE, "prefs", {"food": "sushi"})  # the same content: only updated_at moves
    assert store.get(ALICE, "prefs").updated_at > second.updated_at
    store.delete(BOB, "prefs")  # another namespace: nothing happens
    assert store.get(ALICE, "prefs") is not None
    store.delete(ALICE, "prefs")
    assert store.get(ALICE, "prefs") is None and store.search(ALICE) == []
    store.delete(ALICE, "prefs")  # deleting what is not there is no error


def test_a_new_content_is_a_new_version_and_the_old_ones_visits_go_with_it(
    store: MementoStore, bank: CaseBank
) -> None:
    store.put(ALICE, "tip", {"content": "use the calculator for sums"})
    old = bank.memories.find("memories:alice", "tip")
    _visit(bank, old.id)
    store.put(ALICE, "tip", {"content": "use the calculator for sums"})  # unchanged
    assert bank.memories.find("memories:alice", "tip").id == old.id
    assert bank.count_visits() == 1  # its credit stays: the content it describes did not change
    store.put(ALICE, "tip", {"content": "never use the calculator"})
    new = bank.memories.find("memories:alice", "tip")
    assert new.id != old.id and bank.memories.get_many([old.id]) == []
    assert bank.count_visits() == 0  # credit was for what was shown, which is gone
    _visit(bank, new.id, 1)
    store.delete(ALICE, "tip")
    assert bank.count_visits() == 0 and bank.memories.count() == 0


def test_search_by_query_ranks_memories_and_cases_on_one_scale(store: MementoStore) -> None:
    store.put(ALICE, "food", {"content": "alice likes thai food and spicy curry"})
    store.put(ALICE, "pet", {"content": "alice has a cat called Tom"})
    case_key = store.key_for(ALICE, SUM)
    store.put(ALICE, case_key, SUM)
    store.put(BOB, "food", {"content": "bob likes thai food"})
    hits = store.search(ALICE, query="thai food curry", limit=3)
    assert hits[0].key == "food" and all(isinstance(h, SearchItem) for h in hits)
    assert {h.key for h in hits} == {"food", "pet", case_key} and hits[0].score > hits[1].score
    assert all(h.namespace == ALICE for h in hits)
    sums = store.search(ALICE, query="What is 17 * 23 + 4?", limit=1)
    assert [h.key for h in sums] == [case_key] and sums[0].score == pytest.approx(1.0)
    paged = store.search(ALICE, query="thai food curry", limit=2, offset=1)
    assert [h.key for h in paged] == [h.key for h in hits[1:3]]
    both = store.search(("memories",), query="thai food", limit=10)
    assert {(h.namespace, h.key) for h in both} >= {(ALICE, "food"), (BOB, "food")}


def test_search_without_a_query_lists_newest_first_with_filter_limit_offset(
    store: MementoStore,
) -> None:
    for n in range(5):
        store.put(ALICE, f"m{n}", {"n": n, "kind": "even" if n % 2 == 0 else "odd"})
        time.sleep(0.005)
    assert [h.key for h in store.search(ALICE)] == ["m4", "m3", "m2", "m1", "m0"]
    assert [h.key for h in store.search(ALICE, limit=2, offset=1)] == ["m3", "m2"]
    assert [h.key for h in store.search(ALICE, filter={"kind": "odd"})] == ["m3", "m1"]
    assert [h.key for h in store.search(ALICE, filter={"n": {"$gte": 3}})] == ["m4", "m3"]
    found = store.search(ALICE, query="anything", filter={"kind": "even"}, limit=2, offset=1)
    assert len(found) == 2 and {h.key for h in found} <= {"m0", "m2", "m4"}
    assert all(h.score is None for h in store.search(ALICE))


def test_list_namespaces_includes_namespaces_that_hold_only_memories(
    store: MementoStore,
) -> None:
    store.put(ALICE, "a", {"x": 1})
    store.put(("memories", "bob", "profile"), "b", {"x": 2})
    store.put(("memento", "carol"), store.key_for(("memento", "carol"), SUM), SUM)
    everything = [("memento", "carol"), ALICE, ("memories", "bob", "profile")]
    assert store.list_namespaces() == everything
    assert store.list_namespaces(prefix=("memories",)) == everything[1:]
    assert store.list_namespaces(suffix=("profile",)) == [("memories", "bob", "profile")]
    assert store.list_namespaces(prefix=("memories", "*", "profile")) == [everything[2]]
    assert store.list_namespaces(max_depth=2) == [("memento", "carol"), ALICE, BOB]
    assert store.list_namespaces(limit=1, offset=1) == [ALICE]
    store.delete(ALICE, "a")
    assert ALICE not in store.list_namespaces()


def test_index_fields_choose_what_a_query_matches(bank: CaseBank) -> None:
    store = MementoStore(bank, HashingEmbedder(dim=64), index={"fields": ["title"]})
    store.put(ALICE, "a", {"title": "volcano eruption", "body": "quiet library"})
    store.put(ALICE, "b", {"title": "quiet library", "body": "volcano eruption"})
    assert store.search(ALICE, query="volcano eruption", limit=1)[0].key == "a"
    store.put(ALICE, "c", {"title": "x", "body": "ocean tides"}, index=["body"])
    assert store.search(ALICE, query="ocean tides", limit=1)[0].key == "c"
    store.put(ALICE, "d", {"title": "mountain goats"}, index=False)
    assert "d" not in {h.key for h in store.search(ALICE, query="mountain goats")}
    assert "d" in {h.key for h in store.search(ALICE)}  # listed, never found by a query
    assert store.get(ALICE, "d").value == {"title": "mountain goats"}
    store.put(ALICE, "e", {"body": "no title here"})  # nothing to index: listed only
    assert "e" not in {h.key for h in store.search(ALICE, query="no title here")}


def test_ttl_hides_expired_memories_and_a_write_sweeps_them(
    store: MementoStore, bank: CaseBank
) -> None:
    store.put(ALICE, "short", {"content": "gone soon"}, ttl=0.002)  # 0.12 s
    store.put(ALICE, "kept", {"content": "stays"})
    assert store.get(ALICE, "short") is not None
    _visit(bank, bank.memories.find("memories:alice", "short").id)
    time.sleep(0.2)
    assert store.get(ALICE, "short") is None
    assert [h.key for h in store.search(ALICE)] == ["kept"]
    assert [h.key for h in store.search(ALICE, query="gone soon")] == ["kept"]
    store.put(BOB, "other", {"x": 1})  # any write sweeps
    assert bank.memories.count(namespace="memories:alice") == 1 and bank.count_visits() == 0


def test_a_read_refreshes_the_ttl_unless_told_not_to(store: MementoStore) -> None:
    store.put(ALICE, "m", {"content": "refreshed"}, ttl=0.005)  # 0.3 s
    for _ in range(3):
        time.sleep(0.15)
        assert store.get(ALICE, "m") is not None  # each read restarts the 0.3 s
    time.sleep(0.15)
    assert store.search(ALICE, refresh_ttl=False)  # a read that does not refresh
    time.sleep(0.2)
    assert store.get(ALICE, "m", refresh_ttl=False) is None


def test_the_stores_default_ttl_applies_to_memories_not_cases(bank: CaseBank) -> None:
    store = MementoStore(bank, HashingEmbedder(dim=64), ttl={"default_ttl": 0.002})
    store.put(ALICE, "m", {"content": "x"})
    key = store.key_for(ALICE, SUM)
    store.put(ALICE, key, SUM)
    time.sleep(0.2)
    assert store.get(ALICE, "m") is None and store.get(ALICE, key) is not None


def test_a_memory_never_replaces_a_case_and_bad_values_are_refused(
    store: MementoStore,
) -> None:
    key = store.key_for(ALICE, SUM)
    store.put(ALICE, key, SUM)
    with pytest.raises(CaseWriteError, match="holds a case"):
        store.put(ALICE, key, {"content": "not a case"})
    with pytest.raises(MemoryWriteError, match="JSON"):
        store.put(ALICE, "k", {"when": object()})
    with pytest.raises(MemoryWriteError, match="key"):
        store.put(ALICE, "k" * 2000, {"x": 1})
    with pytest.raises(CaseWriteError, match="nested"):
        store.put(ALICE, "k", {"action": "left", "reward": 0.5})  # a reward makes a case


def test_a_memory_is_capped_and_redacted_like_a_case(
    store: MementoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_API_KEY", "sk-abcdef0123456789")
    store.put(ALICE, "big", {"log": "x" * 500_000, "key": "sk-abcdef0123456789"})
    value = store.get(ALICE, "big").value
    assert len(str(value)) < MAX_MEMORY_BYTES and "sk-abcdef0123456789" not in str(value)
    assert "[redacted SERVICE_API_KEY]" in value["key"]


async def test_the_async_methods_do_the_same(store: MementoStore) -> None:
    await store.aput(ALICE, "prefs", {"food": "thai"})
    assert (await store.aget(ALICE, "prefs")).value == {"food": "thai"}
    assert [h.key for h in await store.asearch(ALICE, query="food")] == ["prefs"]
    assert await store.alist_namespaces() == [ALICE]
    await store.adelete(ALICE, "prefs")
    assert await store.aget(ALICE, "prefs") is None
