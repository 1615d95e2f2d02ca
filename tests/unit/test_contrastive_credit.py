"""Kernel Q's contrastive credit, and the `retrieved` flag on visits that it reads.

The kernel's learned Q (`ScoreParts.learned`) is what these tests check; the score that mu reads
adds it to the similarity in proportion to its evidence (tests/unit/test_policy_prior.py).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from memory import Case, CaseBank, KernelQ, Visit
from memory.bank.step_migration import LEGACY_KEYWORDS, LegacyVisits
from memory.engines.protocol import StoredPoint
from tests.backends import ENGINES, scratch_folder, store_location

STATE = [1.0, 0.0, 0.0]


def _case(bank: CaseBank, question: str, vector: list[float]) -> str:
    case = Case(id="", namespace="n", question=question, reward=1.0, created_at=0.0, updated_at=0.0)
    return bank.add(case, vector).id


def _visit(case_id: str, target: float, *, retrieved: bool = True) -> tuple[Visit, list[float]]:
    visit = Visit(
        id=str(uuid.uuid4()),
        case_id=case_id,
        namespace="n",
        target=target,
        retrieved=retrieved,
        created_at=time.time(),
    )
    return visit, STATE


def _bank_with_two_cases(location: str = ":memory:") -> tuple[CaseBank, str, str]:
    """A useful case and a decoy, always read together; the decoy is also left unread sometimes.

    Steps: both read together -> reward 1 (3 times); decoy read without the useful case -> 0
    (once); useful read, decoy a candidate left unread -> 1 (twice).
    """
    bank = CaseBank(location, dim=3)
    useful = _case(bank, "useful", [1.0, 0.1, 0.0])
    decoy = _case(bank, "decoy", [1.0, 0.0, 0.1])
    visits = []
    for _ in range(3):
        visits += [_visit(useful, 1.0), _visit(decoy, 1.0)]
    visits += [_visit(decoy, 0.0), _visit(useful, 0.0, retrieved=False)]
    for _ in range(2):
        visits += [_visit(useful, 1.0), _visit(decoy, 1.0, retrieved=False)]
    bank.add_visits(visits)
    return bank, useful, decoy


def _q(estimator: KernelQ, bank: CaseBank) -> dict[str, float]:
    """The learned Q of each case at STATE."""
    candidates = bank.search(STATE, namespace="n", limit=2)
    q = estimator.score_parts(np.array(STATE), candidates).learned
    return {c.case.question: float(v) for c, v in zip(candidates, q, strict=True)}


def test_shared_credit_ignores_unread_visits_and_lets_the_decoy_ride_along() -> None:
    bank, _, _ = _bank_with_two_cases()
    q = _q(
        KernelQ(bank, tau=0.3, lam=0.01, q0=0.5, credit="shared", half_life=0, change_after=0), bank
    )
    # All visits at cosine 1 weigh 1: useful (1*5 + 0.005) / 5.01, decoy (3 + 0.005) / 4.01.
    assert q["useful"] == pytest.approx(5.005 / 5.01)
    assert q["decoy"] == pytest.approx(3.005 / 4.01)  # 0.75: looks good beside the useful case


def test_contrastive_credit_scores_read_minus_unread() -> None:
    bank, _, _ = _bank_with_two_cases()
    q = _q(
        KernelQ(bank, tau=0.3, lam=0.01, q0=0.5, credit="contrastive", half_life=0, change_after=0),
        bank,
    )
    assert q["useful"] == pytest.approx(5.005 / 5.01 - 0.005 / 1.01)  # ~ +0.99
    assert q["decoy"] == pytest.approx(3.005 / 4.01 - 2.005 / 2.01)  # ~ -0.25
    assert q["useful"] > 0 > q["decoy"]


def test_contrastive_credit_of_an_unvisited_case_is_zero_and_its_score_its_similarity() -> None:
    with CaseBank(":memory:", dim=3) as bank:
        _case(bank, "new", [1.0, 1.0, 0.0])
        estimator = KernelQ(bank, credit="contrastive")
        assert _q(estimator, bank)["new"] == pytest.approx(0.0)
        (found,) = bank.search(STATE, namespace="n", limit=1)
        score = estimator.q_values(np.array(STATE), [found])[0]  # the bonus is train mode's
        assert score == pytest.approx(found.similarity) and found.similarity < 0.8


@pytest.mark.parametrize("engine", ENGINES)
def test_nearest_visits_filters_by_retrieved_and_reads_legacy_visits_as_read(
    engine: str, tmp_path: Path
) -> None:
    with scratch_folder(tmp_path) as folder:
        _filters_by_retrieved(store_location(engine, folder))


def _filters_by_retrieved(location: str) -> None:
    bank, useful, _ = _bank_with_two_cases(location)
    legacy = {"id": str(uuid.uuid4()), "case_id": useful, "namespace": "n", "target": 0.5}
    # a visit stored before the `retrieved` field existed (and before steps): migrated as read
    old = bank._store.collection(
        bank.visits_collection, dim=3, keyword_fields=LEGACY_KEYWORDS, vector_index=False
    )
    old.upsert([(StoredPoint(id=legacy["id"], payload=legacy), STATE)])
    old_visits = LegacyVisits(bank._store, bank.visits_collection, bank.steps, 3, bank._lock)
    assert old_visits.migrate() == 1
    read = bank.nearest_visits(STATE, [useful], per_case=32, retrieved=True)
    unread = bank.nearest_visits(STATE, [useful], per_case=32, retrieved=False)
    everything = bank.nearest_visits(STATE, [useful], per_case=32)
    assert len(read) == 6 and all(v.retrieved for v in read)
    assert sorted(v.target for v in read) == [0.5, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert len(unread) == 1 and not unread[0].retrieved and unread[0].target == 0.0
    assert len(everything) == 7
    bank.close()


def test_unknown_credit_is_refused() -> None:
    bank, _, _ = _bank_with_two_cases()
    with pytest.raises(ValueError, match="credit"):
        _q(KernelQ(bank, credit="bogus"), bank)  # type: ignore[arg-type]
