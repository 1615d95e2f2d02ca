"""The case bank's contract, run on every engine: what callers may rely on whatever the store."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from memory import (
    BankInUseError,
    Case,
    CaseBank,
    CaseBankError,
    EmbeddingSizeMismatchError,
    LogisticQModel,
    ParametricQ,
    Visit,
    case_id_for,
    normalize_question,
    outcome_key,
)
from memory.bank.identity import legacy_case_id
from memory.engines.locations import engine_for
from memory.engines.protocol import StoredPoint
from tests.backends import ENGINES, scratch_folder, store_location

DIM = 8


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with scratch_folder(tmp_path) as folder:
        yield folder


@pytest.fixture(params=ENGINES)
def location(request: pytest.FixtureRequest, folder: Path) -> str:
    return store_location(request.param, folder)


@pytest.fixture
def bank(location: str) -> CaseBank:
    with CaseBank(location, dim=DIM) as bank:
        yield bank


def _vec(*head: float) -> list[float]:
    return [*head, *[0.0] * (DIM - len(head))]


def _case(question: str, *, namespace: str = "n", reward: float = 1.0, answer: str = "") -> Case:
    now = time.time()
    return Case(
        id="",
        namespace=namespace,
        question=question,
        answer=answer,
        reward=reward,
        plan=["look it up [search]"],
        trajectory=[{"step": "s", "tool_calls": [{"name": "t", "args": {"x": "1"}}]}],
        created_at=now,
        updated_at=now,
    )


def _visit(case_id: str, target: float, *, namespace: str = "n") -> Visit:
    return Visit(
        id=str(uuid.uuid4()),
        case_id=case_id,
        namespace=namespace,
        target=target,
        created_at=time.time(),
    )


def test_the_location_names_the_engine(bank: CaseBank, location: str) -> None:
    assert bank.engine == engine_for(location)
    assert (bank.folder is None) == (bank.engine == "memory")


def test_a_case_round_trips_with_its_payload(bank: CaseBank) -> None:
    case = _case("What is 2+2?", answer="4")
    stored = bank.add(case, _vec(1.0))
    assert stored.id == case_id_for("n", "what is 2+2?", outcome_key(case))
    got = bank.get(stored.id)
    assert got == stored
    assert got.trajectory[0]["tool_calls"][0]["args"] == {"x": "1"}
    assert bank.get(str(uuid.uuid4())) is None
    assert bank.get_many([stored.id, str(uuid.uuid4()), stored.id]) == [stored, stored]


def test_another_outcome_of_a_question_is_a_new_case_and_the_old_one_is_kept(
    bank: CaseBank,
) -> None:
    first = bank.add(_case("What is 2+2?", reward=1.0, answer="4"), _vec(1.0))
    second = bank.add(_case("  what IS 2+2? ", reward=0.0, answer="5"), _vec(0.0, 1.0))
    assert second.id != first.id and first.attempts == second.attempts == 1
    assert bank.get(first.id) == first  # what its visits were earned by, unchanged
    assert [c.id for c in bank.attempts("n", "WHAT is 2+2?")] == [first.id, second.id]
    assert bank.attempts("m", "What is 2+2?") == []


def test_the_same_outcome_again_counts_an_attempt_without_changing_the_case(
    bank: CaseBank,
) -> None:
    first = bank.add(_case("What is 2+2?", answer="4"), _vec(1.0))
    again = _case("what is 2+2?", answer="4")
    again.trajectory = [{"step": "another run's tool output"}]
    second = bank.add(again, _vec(0.0, 1.0))
    assert second.id == first.id and second.attempts == 2
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    assert second.model_dump(exclude={"attempts", "updated_at"}) == first.model_dump(
        exclude={"attempts", "updated_at"}
    )
    assert bank.count() == 1


def test_add_many_counts_attempts_like_repeated_adds(bank: CaseBank) -> None:
    bank.add(_case("q1", answer="a"), _vec(1.0))
    stored = bank.add_many(
        [
            (_case("q1", answer="a"), _vec(1.0)),
            (_case("q2"), _vec(0.0, 1.0)),
            (_case("Q1", answer="a"), _vec(1.0, 0.1)),
            (_case("Q1", answer="b"), _vec(1.0, 0.1)),
        ]
    )
    assert [c.attempts for c in stored] == [2, 1, 3, 1]
    assert bank.count() == 3
    assert bank.get(stored[0].id).answer == "a" and bank.get(stored[0].id).attempts == 3


def test_a_legacy_case_stays_as_it_is_and_new_outcomes_become_attempts(bank: CaseBank) -> None:
    # times to the microsecond, as the bank always wrote them: Qdrant Edge 0.9 reads some raw
    # 17-digit floats back one unit in the last place off
    written = round(time.time(), 6)
    legacy = _case("What is 2+2?", answer="4").model_copy(
        update={
            "id": legacy_case_id("n", "What is 2+2?"),
            "created_at": written,
            "updated_at": written,
        }
    )
    bank.put_points([("cases", StoredPoint(legacy.id, _legacy_payload(legacy), _vec(1.0)))])
    new = bank.add(_case("what is 2+2?", answer="5", reward=0.0), _vec(1.0))
    assert bank.get(legacy.id) == legacy
    assert {c.id for c in bank.attempts("n", "What is 2+2?")} == {legacy.id, new.id}
    assert [s.case.id for s in bank.search(_vec(1.0), namespace="n", limit=5)] != []


def _legacy_payload(case: Case) -> dict:
    return {**case.model_dump(), "question_key": normalize_question(case.question)}


def test_search_is_best_first_within_a_namespace_and_can_exclude_a_question(
    bank: CaseBank,
) -> None:
    bank.add(_case("near"), _vec(1.0, 0.1))
    bank.add(_case("far"), _vec(0.0, 1.0))
    bank.add(_case("other tenant", namespace="m"), _vec(1.0))
    found = bank.search(_vec(1.0), namespace="n", limit=5)
    assert [s.case.question for s in found] == ["near", "far"]
    assert found[0].similarity > found[1].similarity
    assert [s.case.question for s in bank.search(_vec(1.0), namespace="n", limit=1)] == ["near"]
    kept = bank.search(_vec(1.0), namespace="n", limit=5, exclude_question=" NEAR ")
    assert [s.case.question for s in kept] == ["far"]
    assert bank.search(_vec(1.0), namespace="empty", limit=5) == []


def test_search_matches_brute_force_cosine(bank: CaseBank) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((60, DIM))
    bank.add_many([(_case(f"q{i}"), list(v)) for i, v in enumerate(vectors)])
    query = rng.standard_normal(DIM)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ (query / np.linalg.norm(query))))[:10]
    found = bank.search(list(query), namespace="n", limit=10)
    assert [s.case.question for s in found] == [f"q{i}" for i in expected]


def test_nearest_visits_are_bounded_per_case_and_nearest_first(bank: CaseBank) -> None:
    a = bank.add(_case("a"), _vec(1.0)).id
    b = bank.add(_case("b"), _vec(0.0, 1.0)).id
    c = bank.add(_case("c"), _vec(0.0, 0.0, 1.0)).id
    near, far = _vec(1.0), _vec(0.0, 1.0)
    bank.add_visits([(_visit(a, 1.0), near) for _ in range(3)])
    bank.add_visits([(_visit(a, 0.0), far) for _ in range(20)])
    bank.add_visits([(_visit(b, 0.5), far), (_visit(c, 0.25), near)])
    found = bank.nearest_visits(near, [a, b], per_case=3)
    by_case: dict[str, list] = {}
    for m in found:
        by_case.setdefault(m.case_id, []).append(m)
    assert sorted(by_case) == sorted([a, b])  # c was not asked for
    assert [(m.target, round(m.cosine, 4)) for m in by_case[a]] == [(1.0, 1.0)] * 3
    assert [(m.target, round(m.cosine, 4)) for m in by_case[b]] == [(0.5, 0.0)]
    assert bank.nearest_visits(near, [], per_case=3) == []
    assert len(bank.nearest_visits(far, [a], per_case=50)) == 23


def test_a_case_with_many_near_visits_does_not_hide_another_cases_visits(bank: CaseBank) -> None:
    busy = bank.add(_case("busy"), _vec(1.0)).id
    quiet = bank.add(_case("quiet"), _vec(0.0, 1.0)).id
    bank.add_visits([(_visit(busy, 1.0), _vec(1.0)) for _ in range(10)])
    bank.add_visits([(_visit(quiet, 0.0), _vec(0.0, 1.0))])
    found = bank.nearest_visits(_vec(1.0), [busy, quiet], per_case=2)
    assert sorted((m.case_id, m.target) for m in found) == sorted(
        [(busy, 1.0), (busy, 1.0), (quiet, 0.0)]
    )


def test_listing_counting_and_deleting(bank: CaseBank) -> None:
    old = bank.add(_case("old"), _vec(1.0))
    new = bank.add(_case("new"), _vec(0.0, 1.0))
    other = bank.add(_case("x", namespace="m"), _vec(1.0))
    bank.add_visits([(_visit(old.id, 1.0), _vec(1.0)), (_visit(new.id, 0.0), _vec(1.0))])
    bank.add_visits([(_visit(other.id, 1.0, namespace="m"), _vec(1.0))])
    assert [c.question for c in bank.list_cases(namespace="n")] == ["new", "old"]
    assert [c.question for c in bank.list_cases(limit=1)] == ["x"]
    assert (bank.count(), bank.count(namespace="n"), bank.count_visits(namespace="n")) == (3, 2, 2)
    assert [v.case_id for v in bank.list_visits(case_id=old.id)] == [old.id]
    bank.delete([old.id])
    assert bank.get(old.id) is None and bank.list_visits(case_id=old.id) == []
    assert (bank.count(), bank.count_visits()) == (2, 2)
    bank.delete([])


def test_case_vectors_keep_the_direction(bank: CaseBank) -> None:
    case_id = bank.add(_case("q"), _vec(3.0, 4.0)).id
    (vector,) = bank.case_vectors([case_id, str(uuid.uuid4())]).values()
    assert vector[:2] == pytest.approx([0.6, 0.8], abs=1e-6)


def test_a_vector_of_the_wrong_size_is_refused(bank: CaseBank) -> None:
    with pytest.raises(EmbeddingSizeMismatchError, match=f"holds {DIM}-d vectors"):
        bank.add(_case("q"), [1.0, 0.0])
    with pytest.raises(EmbeddingSizeMismatchError):
        bank.search([1.0], namespace="n", limit=3)


@pytest.mark.parametrize("engine", ["local", "edge"])
def test_a_folder_bank_survives_a_reopen_and_is_shared_with_a_second_opener(
    engine: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = store_location(engine, folder)
    with CaseBank(location, dim=DIM) as bank:
        case_id = bank.add(_case("q"), _vec(1.0)).id
        bank.add_visits([(_visit(case_id, 1.0), _vec(1.0))])
        with CaseBank(location, dim=DIM) as second:  # served by the first (over loopback)
            assert second.get(case_id).question == "q" and second.count_visits() == 1
            assert second.engine == engine
        with monkeypatch.context() as patched:  # sharing off: one opener, as before
            patched.setenv("MEMENTO_SHARE_BANK", "0")
            with pytest.raises(BankInUseError, match="already open in another process"):
                CaseBank(location, dim=DIM)
    plain = str(folder / "bank")  # a plain folder keeps the engine it was made with
    assert engine_for(plain) == engine
    with CaseBank(plain, dim=None) as bank:
        assert bank.dim == DIM and bank.engine == engine
        assert bank.get(case_id).question == "q" and bank.count_visits() == 1
    with pytest.raises(EmbeddingSizeMismatchError, match=f"holds {DIM}-d vectors"):
        CaseBank(plain, dim=DIM * 2)


def test_a_new_plain_folder_gets_qdrant_edge(folder: Path) -> None:
    with CaseBank(str(folder / "bank"), dim=DIM) as bank:
        assert bank.engine == "edge" and bank.folder == folder / "bank"
    with pytest.raises(CaseBankError, match="no case bank at"):
        CaseBank(str(folder / "nothing"), dim=None)


def test_edge_builds_its_index_in_the_background_and_search_stays_right(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memory.engines import edge, edge_collection, edge_shards

    monkeypatch.setattr(edge, "OPTIMIZE_AFTER", 400)
    monkeypatch.setattr(edge_shards, "INDEXING_THRESHOLD_KB", 1)
    monkeypatch.setattr(
        edge_shards, "HNSW_PARAMS", {**edge_shards.HNSW_PARAMS, "full_scan_threshold": 1}
    )
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((1000, DIM))
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    with CaseBank(store_location("edge", folder), dim=DIM) as bank:
        cases = bank._cases
        assert isinstance(cases, edge_collection.EdgeCollection)
        bank.add_many([(_case(f"q{i}"), list(v)) for i, v in enumerate(vectors[:300])])
        assert cases.shard.info().indexed_vectors_count == 0  # below the threshold: exact search
        bank.add_many([(_case(f"q{i}"), list(v)) for i, v in enumerate(vectors) if i >= 300])
        cases.wait_for_index()
        assert cases.shard.info().indexed_vectors_count > 0
        for query in rng.standard_normal((5, DIM)):
            expected = np.argsort(-(unit @ (query / np.linalg.norm(query))))[:8]
            found = bank.search(list(query), namespace="n", limit=8)
            assert [s.case.question for s in found] == [f"q{i}" for i in expected]


def test_a_bank_copies_into_another_engine_as_stored(bank: CaseBank, folder: Path) -> None:
    first = bank.add(_case("q1"), _vec(1.0))
    bank.add(_case("Q1"), _vec(1.0, 0.2))  # a second attempt
    other = bank.add(_case("q2", namespace="m"), _vec(0.0, 1.0))
    bank.add_visits(
        [(_visit(first.id, 1.0), _vec(1.0)), (_visit(other.id, 0.0, namespace="m"), _vec(0.0, 1.0))]
    )
    target_engine = "memory" if bank.engine == "edge" else "edge"
    with CaseBank(store_location(target_engine, folder / "copy"), dim=DIM) as target:
        assert bank.copy_to(target, batch=1) == (2, 2)
        assert target.list_cases() == bank.list_cases()
        assert target.list_visits() == bank.list_visits()
        assert target.get(first.id).attempts == 2
        assert target.nearest_visits(_vec(1.0), [first.id], per_case=4) == bank.nearest_visits(
            _vec(1.0), [first.id], per_case=4
        )


def test_edge_bulk_import_builds_the_index_once_at_the_end(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memory.engines import edge, edge_shards

    monkeypatch.setattr(edge, "OPTIMIZE_AFTER", 100)
    monkeypatch.setattr(edge_shards, "INDEXING_THRESHOLD_KB", 1)
    vectors = np.random.default_rng(2).standard_normal((600, DIM))
    with CaseBank(store_location("edge", folder), dim=DIM) as bank:
        shard = bank._cases.shard  # type: ignore[attr-defined]
        with bank.bulk_import():
            for start in range(0, 600, 200):
                bank.add_many(
                    [(_case(f"q{i}"), list(vectors[i])) for i in range(start, start + 200)]
                )
            assert shard.info().indexed_vectors_count == 0  # deferred, searches stay exact
            assert bank.search(list(vectors[7]), namespace="n", limit=1)[0].case.question == "q7"
        assert shard.info().indexed_vectors_count == 600


def test_cases_show_lists_every_attempt_of_the_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from memento.cli import main

    store = str(tmp_path / "bank")
    with CaseBank(store, dim=DIM) as bank:
        right = bank.add(_case("What is 2+2?", answer="4"), _vec(1.0))
        wrong = bank.add(_case("what is 2+2?", answer="5", reward=0.0), _vec(1.0))
        bank.add(_case("What is 3+3?", answer="6"), _vec(0.0, 1.0))
    assert main(["cases", "show", wrong.id[:8], "--store", store, "--namespace", "n"]) == 0
    out = capsys.readouterr().out
    assert "attempts of this question: 2 cases" in out
    assert f" {right.id[:8]}  r=1.00" in out and f"*{wrong.id[:8]}  r=0.00" in out
    assert "What is 3+3?" not in out.split("attempts of this question")[1]


def test_parametric_weights_never_become_a_file_named_after_the_namespace(
    folder: Path,
) -> None:
    """Issue 15 item 3: the weights were saved to a path built from the namespace."""
    namespace = "escaped-owned"  # the old code saved q_parametric-escaped-owned.npz
    with CaseBank(str(folder / "bank"), dim=DIM) as bank:
        case = bank.add(_case("q", namespace=namespace), _vec(1.0))
        before = {p for p in folder.rglob("*")}
        ParametricQ(bank, LogisticQModel(DIM), namespace).learn(
            np.array(_vec(1.0)), [case.id], [1.0]
        )
        assert bank.q_params.read(namespace, [case.id]) is not None
    created = {p for p in folder.rglob("*")} - before
    assert not [p for p in created if "escaped" in str(p) or p.suffix == ".npz"]
