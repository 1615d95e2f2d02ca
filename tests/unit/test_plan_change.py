"""A plan that stopped working sinks with every case that shares it (`plan_change_after`).

The per-case change detector moves a case only once it is read itself after a change; where
many cases share the stale plan, each would be shown and fail in turn. These tests build the
bank by hand, read it through the product's read side with the default context, and fail if
the cases of a plan whose newest steps near the task all failed keep their rank, if one or two
failures (or a plan that starts working) are taken for a change, or if a step that credited
several cases of the plan is counted more than once.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from memory import Case, CaseBank
from memory.policy import RankedCase
from memory.policy.plan_change import plan_changes, plan_indices
from tests import hand_bank

DIM = 9
NS = "n"
TASK = [1.0] + [0.0] * (DIM - 1)
OLD = ["Look up the old rate table"]
OTHER = ["Ask the carrier for a quote"]


def at_cosine(cosine: float, axis: int) -> list[float]:
    return hand_bank.at_cosine(cosine, axis, DIM)


def _case(bank: CaseBank, question: str, vector: list[float], plan: list[str]) -> str:
    case = Case(
        id="",
        namespace=NS,
        question=question,
        plan=plan,
        answer="42",
        reward=1.0,
        created_at=0.0,
        updated_at=0.0,
        provenance="ground_truth",
    )
    return bank.add(case, vector).id


def _shown(bank: CaseBank, **overrides: object) -> tuple[list[str], dict[str, RankedCase]]:
    ranked, shown = hand_bank.read_as_the_graph(bank, TASK, namespace=NS, top_k=1, **overrides)
    return [r.case.id for r in shown], {r.case.id: r for r in ranked}


def _drifted_bank(bank: CaseBank, newest: list[float]) -> tuple[list[str], str]:
    """Six cases of one plan, every one with two successful steps near the task; then the
    `newest` steps credit only the first two of them. One case of another plan, untried, and
    one of the plan never read (`fresh`)."""
    stale = [_case(bank, f"stale {i}", at_cosine(0.95 - 0.01 * i, 1 + i), OLD) for i in range(6)]
    untried = _case(bank, "untried", at_cosine(0.6, 7), OTHER)
    _case(bank, "fresh", at_cosine(0.5, 8), OLD)
    now = time.time() - 100
    for i, case_id in enumerate(stale):
        hand_bank.add_reads(bank, [case_id], TASK, [1.0] * 2, namespace=NS, start=now + 10 * i)
    hand_bank.add_reads(bank, stale[:2], TASK, newest, namespace=NS, start=now + 80)
    return stale, untried


def test_the_cases_of_a_plan_whose_newest_steps_failed_sink_though_unread_since() -> None:
    """Three failed steps read two of the plan's six cases: the other four, never read since,
    go below an untried case of another plan; with the plan-level detector off they stay on
    top (the per-case detector cannot see a change in a case that was not read)."""
    with CaseBank(":memory:", dim=DIM) as bank:
        stale, untried = _drifted_bank(bank, [0.0, 0.0, 0.0])
        shown, ranked = _shown(bank)
        assert shown == [untried]
        assert all(ranked[i].prior is not None and ranked[i].q < 0.6 for i in stale[2:])
        assert ranked[untried].prior is None
        fresh = next(r for r in ranked.values() if r.case.question == "fresh")
        assert fresh.prior is None and fresh.q == pytest.approx(fresh.similarity)  # nothing stale
        shown_off, ranked_off = _shown(bank, plan_change_after=0)
        assert shown_off == [stale[2]]  # the nearest unread stale case, its successes intact
        assert all(ranked_off[i].prior is None for i in stale)


@pytest.mark.parametrize(
    "newest",
    [[0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]],
    ids=["two-failures", "still-working", "back-in-line"],
)
def test_too_short_a_run_or_a_plan_still_working_is_no_change(newest: list[float]) -> None:
    with CaseBank(":memory:", dim=DIM) as bank:
        stale, _ = _drifted_bank(bank, newest)
        shown, ranked = _shown(bank)
        assert shown[0] in stale  # a case of the plan, not the untried one
        assert all(ranked[i].prior is None for i in stale)


def test_a_plan_that_starts_working_is_left_to_each_cases_reads() -> None:
    """Only a plan that stopped working is read as one: older failures then three successes
    is no change (a wrong approach's lucky runs would otherwise lift all its cases)."""
    plans = np.zeros(7, dtype=np.intp)
    targets = np.array([0.0] * 4 + [1.0] * 3)
    changes = plan_changes(plans, np.arange(7.0), targets, np.ones(7), 3, 1)
    assert not changes.changed.any()
    changes = plan_changes(plans, np.arange(7.0), 1.0 - targets, np.ones(7), 3, 1)
    assert changes.changed.tolist() == [True] and changes.run.tolist() == [3]


def test_a_step_that_credited_several_cases_of_the_plan_counts_once() -> None:
    """Two older successes, then two failed steps that each credited three cases of the plan:
    two failures in a row, not six, so no change at three."""
    plans = np.zeros(8, dtype=np.intp)
    times = np.array([0.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0])
    targets = np.array([1.0, 1.0] + [0.0] * 6)
    changes = plan_changes(plans, times, targets, np.ones(8), 3, 1)
    assert changes.run.tolist() == [2] and not changes.changed.any()


def test_cases_without_steps_are_never_pooled() -> None:
    assert plan_indices(
        [OLD, None, [" "], ["1. look up  the OLD rate table [web]"], OTHER]
    ).tolist() == [
        0,
        -1,
        -1,
        0,
        1,
    ]


def test_a_plan_that_stopped_working_buys_its_cases_no_exploration() -> None:
    """Weighing a stale case's visits down lowers its evidence weight; its plan's failing
    record still says what reading it holds. So in train mode its bonus is no larger than
    before the failures, and the untried case of another plan is explored first (a stale case
    bought its exploration back before, and the suite's drift showed it again in training)."""
    with CaseBank(":memory:", dim=DIM) as bank:
        stale, _ = _drifted_bank(bank, [])
        before = {r.case.question: r.bonus for r in _shown(bank, mode="train")[1].values()}
    with CaseBank(":memory:", dim=DIM) as bank:
        stale, untried = _drifted_bank(bank, [0.0, 0.0, 0.0])
        shown, ranked = _shown(bank, mode="train")
        assert shown == [untried]
        for i in stale:
            assert ranked[i].prior is not None
            assert ranked[i].bonus <= before[ranked[i].case.question] + 1e-9
