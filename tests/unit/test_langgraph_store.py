"""The case bank through LangGraph's `BaseStore` interface (`MementoStore`), on every engine.

Cases are items keyed by their id; a namespace tuple is one bank namespace; what is written
in one namespace is never read, searched or listed from another.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from langgraph.store.base import InvalidNamespaceError, Item

from memory import Case, CaseBank, Visit
from memory.adapters.langgraph_store import CaseWriteError, MementoStore
from tests.backends import ENGINES, scratch_folder, store_location
from tests.fakes import HashingEmbedder

ALICE, BOB = ("memento", "alice"), ("memento", "bob")
SUM = {"question": "What is 17 * 23 + 4?", "answer": "395", "reward": 1.0, "plan": ["calculate"]}
CAPITAL = {"question": "What is the capital of France?", "answer": "Paris", "reward": 0.0}


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


def _put(store: MementoStore, namespace: tuple[str, ...], value: dict) -> str:
    key = store.key_for(namespace, value)
    store.put(namespace, key, value)
    return key


def test_a_put_case_is_got_by_its_key_in_its_namespace_only(store: MementoStore) -> None:
    key = _put(store, ALICE, SUM)
    item = store.get(ALICE, key)
    assert isinstance(item, Item) and item.namespace == ALICE and item.key == key
    assert {k: item.value[k] for k in SUM} == SUM
    assert item.value["provenance"] == "imported" and item.value["attempts"] == 1
    assert "namespace" not in item.value and "id" not in item.value
    assert store.bank.get(key).namespace == "memento:alice"
    assert store.get(BOB, key) is None  # the same key from another user's namespace: nothing
    assert store.get(("memento",), key) is None
    assert store.get(ALICE, "not-a-case-id") is None


def test_semantic_search_ranks_by_the_banks_vectors_within_the_prefix(
    store: MementoStore,
) -> None:
    sum_key, capital_key = _put(store, ALICE, SUM), _put(store, ALICE, CAPITAL)
    bob_key = _put(store, BOB, {**SUM, "answer": "396"})
    hits = store.search(ALICE, query="what is 17 * 23 + 5", limit=5)
    assert [h.key for h in hits] == [sum_key, capital_key]
    assert hits[0].score > hits[1].score and all(h.namespace == ALICE for h in hits)
    both = store.search(("memento",), query="what is 17 * 23 + 5", limit=5)
    assert {h.key for h in both} == {sum_key, capital_key, bob_key}
    assert [h.key for h in store.search(BOB, query="capital of France")] == [bob_key]
    assert [h.key for h in store.search(ALICE, query="17 * 23", limit=1, offset=1)] == [capital_key]


def test_filters_match_value_fields(store: MementoStore) -> None:
    sum_key, capital_key = _put(store, ALICE, SUM), _put(store, ALICE, CAPITAL)
    assert [h.key for h in store.search(ALICE, filter={"reward": {"$gte": 0.5}})] == [sum_key]
    assert [h.key for h in store.search(ALICE, filter={"answer": "Paris"})] == [capital_key]
    found = store.search(ALICE, query="17 * 23", filter={"reward": 0.0})
    assert [h.key for h in found] == [capital_key]  # filtered after ranking, none lost
    both = {"$and": [{"provenance": "imported"}, {"reward": {"$lt": 1}}]}
    assert [h.key for h in store.search(ALICE, filter=both)] == [capital_key]


def test_listing_without_a_query_is_newest_first(store: MementoStore) -> None:
    first = _put(store, ALICE, SUM)
    time.sleep(0.01)
    second = _put(store, ALICE, CAPITAL)
    items = store.search(ALICE)
    assert [i.key for i in items] == [second, first] and items[0].score is None


def test_list_namespaces_shows_every_mappable_bank_namespace(
    store: MementoStore, bank: CaseBank
) -> None:
    _put(store, ALICE, SUM)
    _put(store, BOB, SUM)
    _put(store, ("default",), SUM)
    now = time.time()
    dotted = Case(
        id="", namespace="team.alpha", question="q", reward=1, created_at=now, updated_at=now
    )
    bank.add(dotted, [1.0] + [0.0] * 63)  # a bank namespace with no tuple: not shown
    assert store.list_namespaces() == [("default",), ALICE, BOB]
    assert store.list_namespaces(prefix=("memento",)) == [ALICE, BOB]
    assert store.list_namespaces(suffix=("alice",)) == [ALICE]
    assert store.list_namespaces(prefix=("*", "bob")) == [BOB]
    assert store.list_namespaces(max_depth=1) == [("default",), ("memento",)]
    assert store.list_namespaces(prefix=("memento",), limit=1, offset=1) == [BOB]


def test_a_case_never_changes_under_its_key(store: MementoStore, bank: CaseBank) -> None:
    key = _put(store, ALICE, SUM)
    changed = {**SUM, "answer": "396"}
    with pytest.raises(CaseWriteError, match="immutable") as error:
        store.put(ALICE, key, changed)
    new_key = store.key_for(ALICE, changed)
    assert new_key in str(error.value) and new_key != key
    assert store.get(ALICE, key).value["answer"] == "395"  # nothing was rewritten
    with pytest.raises(CaseWriteError, match="is not this case's"):
        store.put(ALICE, "my-key", SUM)
    store.put(ALICE, new_key, changed)  # the correction is a new case beside the old one
    assert bank.count(namespace="memento:alice") == 2


def test_putting_back_what_get_returned_changes_nothing(store: MementoStore) -> None:
    key = _put(store, ALICE, SUM)
    item = store.get(ALICE, key)
    store.put(ALICE, key, item.value)
    again = store.get(ALICE, key)
    assert again.value == item.value and again.updated_at == item.updated_at
    assert again.value["attempts"] == 1  # an edit is not a run: no attempt counted


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"answer": "4", "reward": 1}, "needs a 'question'"),
        ({"question": "q", "reward": 2}, "'reward' from 0 to 1"),
        ({"question": "q", "reward": True}, "'reward' from 0 to 1"),
        ({"question": "q", "reward": 1, "colour": "red"}, "unknown case field 'colour'"),
        ({"question": "q", "reward": 1, "provenance": "trusted"}, "'provenance' must be"),
        ({"question": "q", "reward": 1, "plan": "one step"}, "case field 'plan'"),
    ],
)
def test_a_value_that_is_not_a_case_is_refused_naming_why(
    store: MementoStore, value: dict, problem: str
) -> None:
    with pytest.raises(CaseWriteError, match=problem):
        store.put(ALICE, "00000000-0000-0000-0000-000000000000", value)
    assert store.search(ALICE) == []


def test_a_namespace_that_cannot_map_is_refused(store: MementoStore) -> None:
    for bad in [("memento", "a:b"), ("memento", "../x"), ("a/b",)]:
        with pytest.raises(InvalidNamespaceError, match="label") as error:
            store.search(bad, query="x")
        assert repr(bad[-1]) in str(error.value)
    with pytest.raises(InvalidNamespaceError):
        store.put(("memento", "a.b"), "k", SUM)  # LangGraph's own rule: no dots


def test_delete_removes_the_case_and_its_visits_in_its_namespace_only(
    store: MementoStore, bank: CaseBank
) -> None:
    key = _put(store, ALICE, SUM)
    visit = Visit(
        id="0b7d3c52-0000-4f55-a0f4-5b2f1f4f7c21",
        case_id=key,
        namespace="memento:alice",
        target=1.0,
        created_at=time.time(),
    )
    bank.add_visits([(visit, [1.0] + [0.0] * 63)])
    store.delete(BOB, key)  # another user's namespace: nothing happens
    assert store.get(ALICE, key) is not None and bank.count_visits() == 1
    store.delete(ALICE, key)
    assert store.get(ALICE, key) is None and bank.count_visits() == 0


async def test_the_async_methods_do_the_same(store: MementoStore) -> None:
    key = store.key_for(ALICE, SUM)
    await store.aput(ALICE, key, SUM)
    assert (await store.aget(ALICE, key)).value["answer"] == "395"
    assert await store.aget(BOB, key) is None
    assert [h.key for h in await store.asearch(ALICE, query="17 * 23")] == [key]
    assert await store.asearch(BOB, query="17 * 23") == []
    assert await store.alist_namespaces() == [ALICE]
    await store.adelete(ALICE, key)
    assert await store.aget(ALICE, key) is None


def test_quarantined_cases_are_listed_for_review_but_never_found_by_a_query(
    store: MementoStore,
) -> None:
    key = _put(store, ALICE, {**SUM, "provenance": "quarantined"})
    assert [i.key for i in store.search(ALICE)] == [key]
    assert store.search(ALICE, query="17 * 23") == []


def test_namespaces_written_by_runs_or_deleted_show_at_the_next_call(
    store: MementoStore, bank: CaseBank
) -> None:
    key = _put(store, ALICE, SUM)
    assert store.list_namespaces() == [ALICE]
    now = time.time()
    run_case = Case(
        id="", namespace="memento:bob", question="q", reward=1, created_at=now, updated_at=now
    )
    bank.add(run_case, [1.0] + [0.0] * 63)  # as a graph run writes: past the store
    assert store.list_namespaces() == [ALICE, BOB]
    assert len(store.search(("memento",))) == 2
    store.delete(ALICE, key)
    assert store.list_namespaces() == [BOB]
