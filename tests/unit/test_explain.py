"""`why` explains a retrieval with the numbers the policy used; `search` finds by meaning."""

from __future__ import annotations

import numpy as np
import pytest

from memory import CaseBank, KernelQ, kernel_q
from memory.care import explain, search_cases
from memory.policy.read import choose_cases, rank_cases
from tests.care_bank import NS, S1, add_case, learned_bank, vec


@pytest.fixture
def bank() -> CaseBank:
    with CaseBank(":memory:", dim=8) as bank:
        yield bank


def test_why_gives_the_policys_numbers_and_the_visits_behind_each_q(bank: CaseBank) -> None:
    h = learned_bank(bank)
    kernel = KernelQ(bank, tau=0.3, lam=0.01, q0=0.5, credit="shared", half_life=0, change_after=0)
    state = vec(1.0, 0.1, 0.1)
    found = explain(bank, kernel, state, namespace=NS, top_k=2, min_similarity=0.0, per_case=5)
    ranked = rank_cases(
        bank, kernel, state, namespace=NS, limit=32, alpha=0.1, min_similarity=0.0, mode="eval"
    )
    assert [(c.case.id, c.similarity, c.q, c.probability) for c in found] == [
        (r.case.id, r.similarity, r.q, r.probability) for r in ranked
    ]
    top = choose_cases(ranked, 2, alpha=0.1, mode="eval", rng=np.random.default_rng())
    assert {c.case.id for c in found if c.shown} == {r.case.id for r in top}
    assert sum(c.probability for c in found) == pytest.approx(1.0)
    a = next(c for c in found if c.case.id == h.a.id)
    assert a.visits == 2 and [v.run_id for v in a.nearest] in (
        ["run-c", "run-x"],
        ["run-x", "run-c"],
    )
    assert a.nearest[0].cosine >= a.nearest[1].cosine
    by_run = {v.run_id: v for v in a.nearest}
    assert by_run["run-c"].state == h.c.question and by_run["run-x"].state == h.x.question
    assert (by_run["run-c"].target, by_run["run-x"].target) == (0.0, 1.0)
    # The evidence is what Q is made of: Eq. 9 over the listed visits gives the listed Q, and
    # the score is the similarity moved by it as far as the evidence weighs.
    cosines = np.array([v.cosine for v in a.nearest])
    targets = np.array([v.target for v in a.nearest])
    assert a.learned == pytest.approx(
        kernel_q(cosines, targets, tau=0.3, lam=0.01, q0=0.5), abs=1e-6
    )
    assert a.evidence == pytest.approx(sum(v.weight for v in a.nearest), abs=1e-6)
    assert a.weight == pytest.approx(a.evidence / (a.evidence + 1.0))
    assert a.q == pytest.approx(a.similarity + a.weight * (a.learned - a.similarity), abs=1e-9)
    assert a.nearest[0].weight == pytest.approx(np.exp((a.nearest[0].cosine - 1) / 0.3))


def test_why_marks_unread_visits_and_drops_cases_below_the_floor(bank: CaseBank) -> None:
    h = learned_bank(bank)
    far = add_case(bank, "far away", vec(0.0, 0.0, 0.0, 0.0, 0.0, 1.0))
    found = explain(bank, KernelQ(bank, credit="contrastive"), S1, namespace=NS, min_similarity=0.3)
    ids = {c.case.id for c in found}
    assert far.id not in ids and h.d.id in ids
    d = next(c for c in found if c.case.id == h.d.id)
    assert [(v.read, v.run_id) for v in d.nearest] == [(False, "run-c")]


def test_search_finds_by_meaning_quarantined_cases_included(bank: CaseBank) -> None:
    add_case(bank, "near", vec(1.0, 0.1))
    poisoned = add_case(bank, "poisoned", vec(1.0, 0.05), provenance="quarantined")
    add_case(bank, "far", vec(0.0, 1.0))
    found = search_cases(bank, vec(1.0), namespace=NS, limit=2)
    assert [s.case.question for s in found] == ["poisoned", "near"]
    assert found[0].similarity == pytest.approx(float(np.dot(vec(1.0), vec(1.0, 0.05))))
    assert poisoned.id not in {s.case.id for s in bank.search(vec(1.0), namespace=NS, limit=3)}
