"""A bank written before steps (a point per visit) opens as steps, once, with nothing lost,
and Q computed from the steps is the Q the old visits gave (issue 29)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from memory import Case, CaseBank, KernelQ, Visit
from memory.bank import step_migration
from memory.bank.step_migration import LEGACY_KEYWORDS
from memory.bank.stored_records import VisitColumns, visit_point
from memory.care.integrity import check_bank
from memory.engines.protocol import EVERYWHERE
from tests.backends import scratch_folder

DIM = 16
CASES = 12


def _old_bank(
    location: str, rng: np.random.Generator
) -> tuple[list[str], list[tuple[Visit, list[float]]]]:
    """A bank as an old version left it: cases, and visits in the old collection, a point
    each: runs of 4 read cases sharing their state and target, with contrastive unread ones,
    a visit with no run (before runs were named) and a run whose last visit was given another
    target (what a partial relabel could leave)."""
    with CaseBank(location, dim=DIM) as bank:
        stored = bank.add_many([
            (Case(id="", namespace="n", question=f"q{i}", reward=float(i % 2), created_at=0.0,
                  updated_at=0.0), rng.standard_normal(DIM).tolist())
            for i in range(CASES)
        ])  # fmt: skip
        ids = [c.id for c in stored]
        visits: list[tuple[Visit, list[float]]] = []
        for run in range(30):
            state = rng.standard_normal(DIM).tolist()
            shown = rng.choice(CASES, 7, replace=False)
            target, when = float(rng.random() < 0.6), 1_000.0 + run
            for k, case in enumerate(shown):
                visit = Visit(id=_uuid(rng), case_id=ids[int(case)], namespace="n",
                              target=target, retrieved=k < 4, run_id=f"run-{run}",
                              created_at=when)  # fmt: skip
                visits.append((visit, state))
        odd, state = visits[-1]
        visits[-1] = (odd.model_copy(update={"target": 1.0 - odd.target}), state)
        runless = Visit(id=_uuid(rng), case_id=ids[0], namespace="n", target=1.0, created_at=5.0)
        visits.append((runless, rng.standard_normal(DIM).tolist()))
        old = bank._store.collection(
            bank.visits_collection, dim=DIM, keyword_fields=LEGACY_KEYWORDS, vector_index=False
        )
        old.upsert([(visit_point(v), s) for v, s in visits])
        # what the old collection gives back (an engine may round what it stores)
        vectors = {p.id: p.vector for p in old.scroll(EVERYWHERE, with_vectors=True)}
    return ids, [(v, list(vectors[v.id] or [])) for v, _ in visits]


def _uuid(rng: np.random.Generator) -> str:
    import uuid

    return str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63))))


class _OldLayout:
    """What a retrieve read from the old collection: for each case, its `per_case` visits
    nearest to the state (the newest first among equals), computed here from the visits."""

    def __init__(self, visits: list[tuple[Visit, list[float]]]) -> None:
        self.visits = visits

    def nearest_visit_columns(
        self, state: np.ndarray, case_ids: list[str], *, per_case: int, retrieved: bool
    ) -> VisitColumns:
        query = np.asarray(state, dtype=np.float64)
        query /= np.linalg.norm(query)
        rows: list[tuple[str, float, float, float]] = []
        for case_id in dict.fromkeys(case_ids):
            mine = [
                (float(np.dot(query, s) / np.linalg.norm(s)), v)
                for v, s in self.visits
                if v.case_id == case_id and v.retrieved == retrieved
            ]
            mine.sort(key=lambda pair: (-pair[0], -pair[1].created_at))
            rows += [(case_id, k, v.target, v.created_at) for k, v in mine[:per_case]]
        return VisitColumns(
            [r[0] for r in rows],
            np.array([r[1] for r in rows]),
            np.array([r[2] for r in rows]),
            np.array([r[3] for r in rows]),
        )


@pytest.mark.parametrize("engine", ["edge", "local"])
@pytest.mark.parametrize("credit", ["shared", "contrastive"])
def test_an_old_bank_opens_as_steps_with_every_visit_and_the_same_q(
    engine: str, credit: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = np.random.default_rng(3)
    with scratch_folder(tmp_path) as folder:
        location = f"{engine}://{folder / 'bank'}"
        _, visits = _old_bank(location, rng)
        with caplog.at_level(logging.WARNING, logger=step_migration.__name__):
            bank = CaseBank(location, dim=DIM)
        with bank:
            assert f"moving {len(visits)} visits to step records" in caplog.text
            assert bank._store.stored_dim(bank.visits_collection) is None  # the old one went
            assert bank.count_visits() == len(visits) == 30 * 7 + 1
            assert bank.count_steps() == 30 + 1 + 1  # a run each, the run-less, the odd one
            report = check_bank(bank)
            assert report.ok, report.problems
            assert report.visits == len(visits) and report.cases == CASES
            stored = bank.list_visits(namespace="n")
            assert sorted(map(_fields, stored)) == sorted(_fields(v) for v, _ in visits)
            # Qdrant Edge keeps states in half precision and may round the query alike, so its
            # cosines are within ~1e-3: near-ties among a case's visits may then be kept in
            # either order, and Q is compared on every visit there. Local mode is exact: there
            # only the nearest 5 are read (fewer than most cases' visits), as a retrieve does.
            per_case, atol = (64, 1e-3) if engine == "edge" else (5, 1e-6)
            new = KernelQ(bank, credit=credit, visits_per_case=per_case)  # type: ignore[arg-type]
            old = KernelQ(_OldLayout(visits), credit=credit, visits_per_case=per_case)  # type: ignore[arg-type]
            for _ in range(10):
                state = rng.standard_normal(DIM)
                candidates = bank.search(state.tolist(), namespace="n", limit=CASES)
                assert len(candidates) == CASES
                got, want = new.score_parts(state, candidates), old.score_parts(state, candidates)
                np.testing.assert_allclose(got.learned, want.learned, atol=atol)
                np.testing.assert_allclose(got.score, want.score, atol=atol)
                np.testing.assert_allclose(got.evidence, want.evidence, rtol=10 * atol)
        with CaseBank(location, dim=DIM) as again:  # once: nothing moved twice
            assert again.count_visits() == len(visits) and again.count_steps() == 32


def test_a_migration_cut_off_midway_is_done_again_with_nothing_counted_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(4)
    with scratch_folder(tmp_path) as folder:
        location = str(folder / "bank")
        _, visits = _old_bank(location, rng)
        monkeypatch.setattr(step_migration, "BATCH", 50)  # several writes of steps

        class Killed(Exception):
            pass

        def crash(*args: object) -> None:
            raise Killed

        from memory.engines import edge

        monkeypatch.setattr(edge.EdgeStore, "drop", crash)  # steps written, old one still there
        with pytest.raises(Killed):
            CaseBank(location, dim=DIM)
        monkeypatch.undo()
        with CaseBank(location, dim=DIM) as bank:
            assert bank._store.stored_dim(bank.visits_collection) is None
            assert bank.count_visits() == len(visits) and bank.count_steps() == 32
            stored = bank.list_visits()
            assert sorted(map(_fields, stored)) == sorted(_fields(v) for v, _ in visits)


def _fields(visit: Visit) -> tuple[object, ...]:
    """What a visit says (its id is the layout's own; a run-less visit is a run of its own,
    and visits of a run that disagreed on its target a step of their own in that run)."""
    run = "" if visit.run_id.startswith("visit-") else visit.run_id.split("@")[0]
    return (visit.case_id, visit.target, visit.retrieved, run, visit.cycle, visit.created_at)


def test_a_process_served_by_another_waits_for_that_one_to_migrate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Merging steps is not atomic across processes: a process the bank's holder serves
    leaves the migration to the holder and waits until the old collection is gone."""

    class Served:
        held_elsewhere = True

        def __init__(self) -> None:
            self.asked = 0

        def stored_dim(self, name: str) -> int | None:
            self.asked += 1
            return DIM if self.asked < 3 else None  # the holder finishes meanwhile

        def collection(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a served process must not migrate")

    monkeypatch.setattr(step_migration, "WAIT_S", 0)
    store = Served()
    lock = threading.RLock()
    old = step_migration.LegacyVisits(store, "old", None, DIM, lock)  # type: ignore[arg-type]
    assert old.migrate_or_wait() == 0 and store.asked == 3
