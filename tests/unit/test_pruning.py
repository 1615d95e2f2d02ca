"""Forgetting: prune by age, by Q and by a count budget (also kept on every write), merge near
duplicates with their credit; a dry run changes nothing."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest

from memory import CaseBank, KernelQ, Visit, kernel_q
from memory.care import consolidate, prune
from memory.policy.write import record_visits
from tests.care_bank import NS, S1, S2, add_case, learned_bank, q_of, vec

DAY = 86_400.0


@pytest.fixture
def bank() -> CaseBank:
    with CaseBank(":memory:", dim=8) as bank:
        yield bank


def _snapshot(bank: CaseBank) -> tuple:
    cases = sorted((c.id, c.attempts, c.reward) for c in bank.list_cases(namespace=NS))
    visits = sorted((v.id, v.case_id, v.target) for v in bank.list_visits(namespace=NS))
    return cases, visits


def _read(bank: CaseBank, case_id: str, target: float, state: list[float], n: int = 1) -> None:
    for _ in range(n):
        record_visits(bank, KernelQ(bank), [[case_id]], [state], [target], namespace=NS)


def test_prune_by_age_spares_an_old_case_that_is_still_read(bank: CaseBank) -> None:
    now = time.time()
    stale = add_case(bank, "stale", vec(1.0), at=now - 40 * DAY)
    read = add_case(bank, "old but read", vec(0.0, 1.0), at=now - 40 * DAY)
    fresh = add_case(bank, "fresh", vec(0.0, 0.0, 1.0), at=now - 2 * DAY)
    _read(bank, read.id, 1.0, S1)  # a visit today
    before = _snapshot(bank)
    plan = prune(bank, NS, older_than_s=30 * DAY, dry_run=True)
    assert [d.case.id for d in plan.doomed] == [stale.id] and plan.kept == 2
    assert "unused for 40" in plan.doomed[0].reason
    assert _snapshot(bank) == before  # the dry run removed nothing
    prune(bank, NS, older_than_s=30 * DAY)
    assert {c.id for c in bank.list_cases(namespace=NS)} == {read.id, fresh.id}


def test_prune_by_q_needs_evidence_and_leaves_other_q_unchanged(bank: CaseBank) -> None:
    bad = add_case(bank, "bad", vec(1.0, 0.1))
    untried = add_case(bank, "untried and bad once", vec(1.0, 0.0, 0.1))
    good = add_case(bank, "good", vec(1.0, 0.0, 0.0, 0.1))
    _read(bank, bad.id, 0.0, vec(1.0, 0.1), n=3)
    _read(bank, untried.id, 0.0, vec(1.0, 0.0, 0.1), n=2)
    _read(bank, good.id, 1.0, vec(1.0, 0.0, 0.0, 0.1), n=3)
    kernel = KernelQ(bank, credit="shared")
    q_good = q_of(bank, kernel, S2, [good, untried])
    progress: list[tuple[int, int]] = []
    plan = prune(
        bank,
        NS,
        q_below=0.3,
        estimator=kernel,
        min_visits=3,
        on_progress=lambda *a: progress.append(a),
    )
    assert [d.case.id for d in plan.doomed] == [bad.id] and plan.doomed[0].reason.startswith(
        "Q 0.0"
    )
    assert progress[-1] == (2, 2)  # the two cases with enough reads were scored
    assert q_of(bank, kernel, S2, [good, untried]) == q_good
    with pytest.raises(ValueError, match="needs the estimator"):
        prune(bank, NS, q_below=0.3)


def test_prune_to_a_budget_keeps_the_most_recently_used(bank: CaseBank) -> None:
    now = time.time()
    cases = [add_case(bank, f"q{i}", vec(1.0, i), at=now - (10 - i) * DAY) for i in range(5)]
    _read(bank, cases[0].id, 1.0, S1)  # the oldest case, read today
    plan = prune(bank, NS, max_cases=2)
    assert {d.case.id for d in plan.doomed} == {c.id for c in cases[1:4]}
    assert {c.id for c in bank.list_cases(namespace=NS)} == {cases[0].id, cases[4].id}
    assert bank.list_visits(case_id=cases[0].id)


def test_a_bank_with_a_budget_prunes_itself_on_write() -> None:
    with CaseBank(":memory:", dim=8, max_cases=10) as bank:
        first = add_case(bank, "first", vec(1.0))
        counts = []
        for i in range(15):
            _read(bank, first.id, 1.0, S1)  # the first case keeps being read
            add_case(bank, f"q{i}", vec(1.0, i + 1))
            counts.append(bank.count(namespace=NS))
        assert max(counts) == 10 and counts[8] == 10  # 10 cases: still within the budget
        assert counts[9] == 9  # the 11th case passed it: back to 90%, least recently used out
        held = {c.question for c in bank.list_cases(namespace=NS)}
        assert "first" in held and "q14" in held and "q0" not in held
    with pytest.raises(ValueError, match="max_cases must be at least 1"):
        CaseBank(":memory:", dim=8, max_cases=0)


def test_the_budget_is_per_namespace() -> None:
    with CaseBank(":memory:", dim=8, max_cases=2) as bank:
        for i in range(3):
            add_case(bank, f"a{i}", vec(1.0, i), namespace="a")
        add_case(bank, "b0", vec(1.0), namespace="b")
        assert bank.count(namespace="a") == 2 and bank.count(namespace="b") == 1
        assert {c.question for c in bank.list_cases(namespace="a")} == {"a1", "a2"}


def _visit(case_id: str, run: str, target: float, *, read: bool = True) -> tuple[Visit, list]:
    visit = Visit(
        id=str(uuid.uuid4()), case_id=case_id, namespace=NS, target=target, retrieved=read,
        run_id=run, created_at=time.time(),
    )  # fmt: skip
    return visit, S1


def test_consolidation_merges_near_duplicates_and_their_credit(bank: CaseBank) -> None:
    plan = ("multiply 17 by 23 [calculate]", "add 4 [calculate]")
    keep = add_case(bank, "What is 17 * 23 + 4?", vec(1.0, 0.01), plan=plan, answer="395")
    dup = add_case(bank, "what is 17*23 + 4 ?", vec(1.0, 0.0), plan=plan, answer="395.")
    wrong = add_case(bank, "What is 17 * 23 + 4?", vec(1.0, 0.02), plan=plan, answer="394",
                     reward=0.0)  # fmt: skip
    other = add_case(bank, "What is 17 * 23 + 4?", vec(1.0, 0.03), plan=plan, answer="1000")
    bank.add_visits([_visit(keep.id, "r1", 1.0), _visit(keep.id, "r2", 1.0)])
    bank.add_visits([_visit(dup.id, "r3", 0.0), _visit(keep.id, "r3", 0.0, read=False)])
    bank.add_visits([_visit(wrong.id, "r4", 0.0)])
    before = _snapshot(bank)
    groups, done = consolidate(bank, NS, dry_run=True)
    assert done is None and _snapshot(bank) == before
    assert [(g.keeper.id, [m.id for m in g.merged]) for g in groups] == [(keep.id, [dup.id])]
    groups, done = consolidate(bank, NS)
    assert done is not None and (done.groups, done.cases_merged, done.visits_moved) == (1, 1, 1)
    assert bank.get(dup.id) is None and bank.get(wrong.id) and bank.get(other.id)
    kept = bank.get(keep.id)
    assert kept.attempts == 2 and kept.answer == "395"  # content unchanged, attempts summed
    visits = bank.list_visits(case_id=keep.id)
    # r3 read the duplicate: its read visit moved; its unread visit of the keeper went.
    assert sorted((v.run_id, v.target, v.retrieved) for v in visits) == [
        ("r1", 1.0, True), ("r2", 1.0, True), ("r3", 0.0, True),
    ]  # fmt: skip
    q = q_of(bank, KernelQ(bank, credit="contrastive", half_life=0, change_after=0), S1, [kept])[0]
    assert q == pytest.approx(
        kernel_q(np.ones(3), np.array([1, 1, 0.0]), tau=0.3, lam=0.01, q0=0.5) - 0.5
    )


def test_near_identical_texts_must_agree_on_every_number_and_symbol() -> None:
    from memory.care.consolidation import near_identical

    assert near_identical("The answer is 395.", "the answer is  395")
    assert not near_identical(
        "The answer is 395, computed carefully", "The answer is 396, computed carefully"
    )
    assert not near_identical("What is 17 * 23?", "What is 17 - 23?")
    assert not near_identical("Paris", "Rome")


def test_consolidation_finds_nothing_where_nothing_repeats(bank: CaseBank) -> None:
    h = learned_bank(bank)
    before = _snapshot(bank)
    progress: list[tuple[int, int]] = []
    groups, done = consolidate(bank, NS, on_progress=lambda *a: progress.append(a))
    assert groups == [] and done is not None and done.cases_merged == 0
    assert _snapshot(bank) == before and progress[-1] == (5, 5) and h.a


def test_a_run_shown_two_duplicates_counts_once_on_the_kept_case(bank: CaseBank) -> None:
    first = add_case(bank, "What is 2 + 2?", vec(1.0, 0.01))
    second = add_case(bank, "what is 2 + 2 ?", vec(1.0, 0.0))
    record_visits(bank, KernelQ(bank), [[first.id, second.id]], [S1], [1.0], namespace=NS,
                  run_id="both")  # fmt: skip
    _, done = consolidate(bank, NS)
    assert done is not None and done.visits_moved == 0
    (kept,) = bank.list_cases(namespace=NS)
    assert [(v.run_id, v.target) for v in bank.list_visits(case_id=kept.id)] == [("both", 1.0)]
    assert bank.count_visits(namespace=NS) == 1


def test_a_chain_of_look_alikes_merges_only_what_looks_like_the_kept_case(bank: CaseBank) -> None:
    keep = add_case(bank, "Sum it", vec(1.0, 0.0), plan=("abcdefghij",))
    middle = add_case(bank, "Sum it", vec(1.0, 0.01), plan=("abcdefghiX",))
    far = add_case(bank, "Sum it", vec(1.0, 0.02), plan=("abcdefghXX",))
    _read(bank, keep.id, 1.0, S1)  # the most read: kept
    (group,) = consolidate(bank, NS, dry_run=True)[0]
    assert group.keeper.id == keep.id and [c.id for c in group.merged] == [middle.id]
    assert far.id not in {c.id for c in group.merged}
