"""A small bank is searched from its exact copy in memory, with the engine's own answers.

Each test compares the retrieve through the copy (`memory.engines.exact_copy`) with the same
retrieve through Qdrant Edge alone (the copy switched off), on the same bank folder: the same
candidates
in the same order, the same similarities and the same kernel Q, before and after writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from memory import Case, CaseBank, KernelQ, Visit
from memory.engines import exact_copy
from memory.engines.exact_index import ExactIndex
from memory.engines.protocol import Where, match
from memory.policy.read import RankedCase, rank_cases

DIM = 24
ROOT = Path(__file__).resolve().parents[2]


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    points = rng.standard_normal((n, DIM))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _case(i: int, namespace: str = "ns") -> Case:
    now = time.time()
    return Case(id="", namespace=namespace, question=f"question {i}", answer=str(i),
                reward=float(i % 2), created_at=now, updated_at=now)  # fmt: skip


def _fill(
    bank: CaseBank, rng: np.random.Generator, cases: int, visits: int, first: int = 0
) -> list[str]:
    """Random cases in two namespaces, and visits spread over the first few dozen cases (so
    some have more visits than a retrieve reads) with read and unread ones."""
    items = [
        (_case(i, "ns" if i % 5 else "other"), v)
        for i, v in enumerate(_unit(rng, cases), start=first)
    ]
    stored = bank.add_many(items)
    ids, namespace_of = [c.id for c in stored], {c.id: c.namespace for c in stored}
    now = time.time()
    bank.add_visits(
        [
            (
                Visit(
                    id=str(uuid.uuid4()),
                    case_id=(case_id := ids[int(rng.integers(0, 40))]),
                    namespace=namespace_of[case_id],  # a case is credited in its namespace
                    target=float(rng.random()),
                    retrieved=bool(rng.random() < 0.8),
                    created_at=now,
                ),
                state,
            )
            for state in _unit(rng, visits)
        ]
    )
    return ids


def _retrieve(bank: CaseBank, queries: np.ndarray, **options: object) -> list[list[RankedCase]]:
    """Retrieves for the queries, once the copies that the first one starts are built."""
    estimator = KernelQ(bank, visits_per_case=4, **options)  # type: ignore[arg-type]
    rank_cases(bank, estimator, queries[0].tolist(), namespace="ns", limit=16, alpha=0.1)
    bank.wait_until_warm()
    return [
        rank_cases(bank, estimator, q.tolist(), namespace="ns", limit=16, alpha=0.1)
        for q in queries
    ]


def _assert_same(exact: list[list[RankedCase]], engine: list[list[RankedCase]]) -> None:
    for mine, theirs in zip(exact, engine, strict=True):
        assert [r.case.id for r in mine] == [r.case.id for r in theirs]
        assert [r.case.attempts for r in mine] == [r.case.attempts for r in theirs]
        np.testing.assert_allclose([r.similarity for r in mine],
                                   [r.similarity for r in theirs], atol=1e-5)  # fmt: skip
        np.testing.assert_allclose([r.q for r in mine], [r.q for r in theirs], atol=1e-4)


def _engine_only(monkeypatch: pytest.MonkeyPatch, location: str, queries: np.ndarray,
                 **options: object) -> list[list[RankedCase]]:  # fmt: skip
    with monkeypatch.context() as patch:
        patch.setattr(exact_copy, "MAX_BYTES", 0)
        with CaseBank(location, dim=DIM) as bank:
            return _retrieve(bank, queries, **options)


@pytest.mark.parametrize("credit", ["shared", "contrastive"])
def test_a_small_bank_retrieves_what_the_engine_retrieves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credit: str
) -> None:
    rng = np.random.default_rng(1)
    location = str(tmp_path / "bank")
    queries = _unit(rng, 20)
    with CaseBank(location, dim=DIM) as bank:
        _fill(bank, rng, cases=600, visits=900)
        exact = _retrieve(bank, queries, credit=credit)
        assert bank._cases.exact.serving and bank._steps.exact.serving
        assert any(r.q != 0.5 for ranked in exact for r in ranked)  # visits were read
    _assert_same(exact, _engine_only(monkeypatch, location, queries, credit=credit))


def test_the_copy_follows_adds_attempts_and_deletes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(2)
    location = str(tmp_path / "bank")
    queries = _unit(rng, 12)
    with CaseBank(location, dim=DIM) as bank:
        ids = _fill(bank, rng, cases=300, visits=400)
        before = _retrieve(bank, queries)  # builds the copies
        shown = {r.case.id for ranked in before for r in ranked}
        gone = sorted(shown - set(ids[:40]))[:10]
        bank.delete(gone)  # the cases, and their visits by a filter
        again = [(_case(ids.index(i)), v) for i, v in zip(ids[:40], _unit(rng, 40), strict=True)]
        bank.add_many(again)  # the same outcomes again: more attempts, new vectors
        _fill(bank, rng, cases=50, visits=200, first=1000)  # new cases, more visits
        after = _retrieve(bank, queries)
        found = {r.case.id for ranked in after for r in ranked}
        assert not found & set(gone)
        assert any(r.case.attempts > 1 for ranked in after for r in ranked)
    _assert_same(after, _engine_only(monkeypatch, location, queries))


def test_writes_of_another_process_are_seen_at_once_or_when_the_bank_is_opened_again(
    tmp_path: Path,
) -> None:
    """A process that does not hold the bank writes through its holder, whose exact copy sees
    the write at once; with sharing off it is refused, and the next opener builds its copy."""
    rng = np.random.default_rng(3)
    location = str(tmp_path / "bank")
    query = _unit(rng, 1)[0]
    writer = (
        "import time; from memory import Case, CaseBank\n"
        f"bank = CaseBank({location!r}, dim={DIM})\n"
        "now = time.time()\n"
        "case = Case(id='', namespace='ns', question=f'from elsewhere {time.time()}', reward=1.0,"
        " created_at=now, updated_at=now)\n"
        f"bank.add(case, {query.tolist()!r}); bank.close()\n"
    )

    def write(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", writer], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env={**os.environ, **env})  # fmt: skip

    with CaseBank(location, dim=DIM) as bank:
        _fill(bank, rng, cases=100, visits=10)
        assert all(r.similarity < 0.999 for r in _retrieve(bank, query[None])[0])
        refused = write(MEMENTO_SHARE_BANK="0")
        assert refused.returncode != 0 and "BankInUseError" in refused.stderr
        served = write()
        assert served.returncode == 0, served.stderr
        assert bank._cases.exact.serving  # the copy in memory saw the served write
        best = _retrieve(bank, query[None])[0][0]
        assert best.case.question.startswith("from elsewhere") and best.similarity > 0.999
    written = write(MEMENTO_SHARE_BANK="0")
    assert written.returncode == 0, written.stderr
    with CaseBank(location, dim=DIM) as bank:
        found = bank.search(query.tolist(), namespace="ns", limit=2)
    assert [r.case.question.startswith("from elsewhere") for r in found] == [True, True]
    assert all(r.similarity > 0.999 for r in found)


def test_a_bank_past_the_limit_is_searched_by_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(4)
    monkeypatch.setattr(exact_copy, "MAX_BYTES", 200 * DIM * 4)  # 200 points
    with CaseBank(str(tmp_path / "bank"), dim=DIM) as bank:
        _fill(bank, rng, cases=150, visits=20)
        small = _retrieve(bank, _unit(rng, 1))[0]
        assert bank._cases.exact.serving and small
        _fill(bank, rng, cases=100, visits=0, first=1000)  # 250 cases: the copy gives up
        assert not bank._cases.exact.serving
        assert len(_retrieve(bank, _unit(rng, 1))[0]) == 16


def test_a_tasks_visits_are_one_step_against_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contrastive credit gives a visit per candidate, all in the task's state: 40 tasks of
    16 visits are 40 steps for the copy, well within a limit of 200."""
    rng = np.random.default_rng(6)
    location = str(tmp_path / "bank")
    queries = _unit(rng, 10)
    monkeypatch.setattr(exact_copy, "MAX_BYTES", 200 * DIM * 4)
    with CaseBank(location, dim=DIM) as bank:
        ids = _fill(bank, rng, cases=150, visits=0)
        ns_ids = [case_id for i, case_id in enumerate(ids) if i % 5]  # the candidates of "ns"
        now = time.time()
        for task, state in enumerate(_unit(rng, 40)):
            shown, target = rng.choice(40, 16, replace=False), float(rng.random())
            bank.add_visits([
                (Visit(id=str(uuid.uuid4()), case_id=ns_ids[int(c)], namespace="ns",
                       target=target, retrieved=bool(k < 4), run_id=f"run-{task}",
                       created_at=now), state)
                for k, c in enumerate(shown)
            ])  # fmt: skip
        exact = _retrieve(bank, queries, credit="contrastive")
        assert bank._steps.exact.serving
        assert bank.count_visits() == 640 and bank.count_steps() == 40
        assert len(bank._steps.exact._index) == 40
    _assert_same(exact, _engine_only(monkeypatch, location, queries, credit="contrastive"))


def test_filters_mean_what_they_mean_in_qdrant() -> None:
    """A missing field matches nothing (so `must_not` keeps it), True is not 1, and a field
    holding a list is left to the engine (None)."""
    index = ExactIndex(2)
    index.upsert([
        ("a", {"flag": True, "n": 1}, [1.0, 0.0]),
        ("b", {"flag": 1}, [0.9, 0.1]),
        ("c", {}, [0.8, 0.2]),
        ("d", {"tags": ["x"]}, [0.0, 1.0]),
    ])  # fmt: skip

    def ids(where: Where) -> list[str]:
        found = index.search([1.0, 0.0], where=where, limit=10)
        assert found is not None
        return [p.id for p in found]

    assert ids(Where(must=(match("flag", True),))) == ["a"]
    assert ids(Where(must=(match("flag", 1),))) == ["b"]
    assert ids(Where(must_not=(match("flag", True),))) == ["b", "c", "d"]
    assert ids(Where(must=(match("n", 1, 2),))) == ["a"]
    assert index.search([1.0, 0.0], where=Where(must=(match("tags", "x"),)), limit=5) is None
    index.delete(["a"])
    assert ids(Where()) == ["b", "c", "d"]
    assert ids(Where(must_not=(match("flag", 1),))) == ["c", "d"]


def test_points_sharing_one_vector_object_each_keep_their_own_row() -> None:
    """A task's visits share its state list (converted once); the others keep theirs."""
    state, other = [1.0, 0.0], [0.6, 0.8]
    index = ExactIndex(2, keys=("case_id",))
    index.upsert([("a", {"case_id": "x"}, state), ("b", {"case_id": "y"}, other),
                  ("c", {"case_id": "z"}, state)])  # fmt: skip
    found = index.nearest_per_group(
        [1.0, 0.0], key="case_id", groups=["x", "y", "z"], per_group=1, where=Where(),
        payload_keys=("case_id",),
    )  # fmt: skip
    assert found is not None
    assert [(h.payload["case_id"], round(h.score, 6)) for h in found] == [
        ("x", 1.0), ("y", 0.6), ("z", 1.0),
    ]  # fmt: skip
    assert index.distinct_vectors == 2


def test_writes_made_while_the_copy_is_built_reach_it() -> None:
    """The build reads the store in a background thread; what is written meanwhile is
    replayed on the finished copy, in order, and searches go to the engine until then."""
    from memory.engines.protocol import StoredPoint

    release = threading.Event()
    held = [StoredPoint(f"p{i}", {"n": i}, [1.0, float(i)]) for i in range(5)]

    def points() -> tuple[int, Iterator[StoredPoint]]:
        def read() -> Iterator[StoredPoint]:
            release.wait(10)
            yield from held  # the store as it was when the build began

        return len(held), read()

    copy = exact_copy.ExactCopy(2)
    assert copy.search(points, [1.0, 0.0], where=Where(), limit=3) is None  # build started
    copy.upserted([(StoredPoint("p9", {"n": 9}), [1.0, 0.0])])
    copy.deleted(["p0"])
    copy.upserted([(StoredPoint("p1", {"n": 10}), [0.0, 1.0])])
    copy.deleted_where(Where(must=(match("n", 2),)))
    release.set()
    copy.wait_until_built()
    found = copy.search(points, [1.0, 0.0], where=Where(), limit=10)
    assert found is not None and copy.serving
    assert [(p.id, p.payload["n"]) for p in found] == [("p9", 9), ("p3", 3), ("p4", 4), ("p1", 10)]


def test_a_copy_keeping_some_keys_declines_what_needs_the_others() -> None:
    """Visits are copied with the four fields a retrieve reads; a search that would need any
    other field is left to the engine (None), and a delete by one drops the copy (False)."""
    index = ExactIndex(2, keys=("case_id", "target"))
    index.upsert([
        ("a", {"case_id": "c", "target": 1.0, "run_id": "r"}, [1.0, 0.0]),
        ("b", {"case_id": "c", "target": 0.0, "run_id": "s"}, [0.0, 1.0]),
    ])  # fmt: skip
    group = {"key": "case_id", "groups": ["c"], "per_group": 2}
    hits = index.nearest_per_group([1.0, 0.0], **group, where=Where(), payload_keys=("target",))  # type: ignore[arg-type]
    assert hits is not None
    assert [h.payload for h in hits] == [{"case_id": "c", "target": 1.0},
                                         {"case_id": "c", "target": 0.0}]  # fmt: skip
    assert index.search([1.0, 0.0], where=Where(), limit=2) is None
    assert (
        index.nearest_per_group([1.0, 0.0], **group, where=Where(), payload_keys=("run_id",))
        is None
    )  # type: ignore[arg-type]
    by_run = Where(must=(match("run_id", "r"),))
    assert index.nearest_per_group([1.0, 0.0], **group, where=by_run) is None  # type: ignore[arg-type]
    assert not index.delete_where(by_run)
    assert index.delete_where(Where(must=(match("case_id", "c"),))) and len(index) == 0


def test_the_copy_keeps_case_payloads_as_text_the_garbage_collector_never_walks(
    tmp_path: Path,
) -> None:
    """A full GC pass stops every thread for as long as it walks the process's containers; a
    case's payload dict (plan, trajectory, tool calls) is a dozen of them. The copy keeps each
    case payload as one untracked string, and a search still gives the stored cases, each
    parsed once: the same `Case` object on every later search."""
    import gc

    rng = np.random.default_rng(5)
    with CaseBank(str(tmp_path / "bank"), dim=DIM) as bank:
        now = time.time()
        nested = [
            Case(id="", namespace="ns", question=f"question {i}", answer=str(i),
                 plan=[f"step {i}", "add [calculate]"], reward=1.0, created_at=now,
                 updated_at=now,
                 trajectory=[{"cycle": 0, "step": "add", "output": str(i),
                              "tool_calls": [{"name": "calculate", "args": {"e": "1+1"}}]}])
            for i in range(30)
        ]  # fmt: skip
        vectors = _unit(rng, 30)
        stored = bank.add_many(list(zip(nested, vectors, strict=True)))
        query = list(vectors[3])
        bank.search(query, namespace="ns", limit=5)
        bank.wait_until_warm()
        payloads = bank._cases.exact._index._payloads  # type: ignore[attr-defined]
        assert len(payloads) == 30
        assert not any(gc.is_tracked(p) for p in payloads)
        first = bank.search(query, namespace="ns", limit=5)
        again = bank.search(query, namespace="ns", limit=5)
        assert all(a.case is b.case for a, b in zip(again, first, strict=True))
        assert first[0].case == bank.get(stored[3].id) == stored[3]
        assert first[0].case.trajectory[0]["tool_calls"][0]["args"] == {"e": "1+1"}
