"""What the default policy owes a user whatever their bank looks like (DESIGN.md, issue 25).

Each test builds a small bank by hand (vectors chosen for their cosines), reads it through the
product's read side with the product's default context (`estimator_for` + `read_cases`, what
the graph's retrieve node runs), and fails if the property it names breaks: a cold start that
ignores similarity, evidence that never ages, a change that goes undetected, a planted
"success" that keeps its mu after its reads failed, an untried identical case ranked below an
unrelated one.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from memory import Case, CaseBank
from memory.policy import RankedCase
from memory.policy.kernel import age_weights
from tests import hand_bank
from tests.conftest import make_context

DIM = 6
NS = "n"
TASK = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def at_cosine(cosine: float, axis: int) -> list[float]:
    return hand_bank.at_cosine(cosine, axis, DIM)


def _case(bank: CaseBank, question: str, vector: list[float], **fields: object) -> str:
    plan = [f"the approach of {question}"]  # one plan each: a plan shared is another test
    values = {"reward": 1.0, "plan": plan, "provenance": "ground_truth", **fields}
    case = Case(id="", namespace=NS, question=question, created_at=0.0, updated_at=0.0, **values)
    return bank.add(case, vector).id


def _reads(bank: CaseBank, case_id: str, state: list[float], targets: list[float]) -> None:
    """Visits of runs that read the case in `state`, oldest first, one second apart."""
    hand_bank.add_reads(bank, [case_id], state, targets, namespace=NS)


def _read(
    bank: CaseBank, mode: str = "eval", seed: int = 0, **overrides: object
) -> tuple[list[RankedCase], list[RankedCase]]:
    return hand_bank.read_as_the_graph(bank, TASK, namespace=NS, mode=mode, seed=seed, **overrides)


def test_a_cold_start_reads_as_similarity_does() -> None:
    with CaseBank(":memory:", dim=DIM) as bank:
        ids = [_case(bank, f"q{i}", at_cosine(c, 1 + i)) for i, c in enumerate([0.95, 0.8, 0.6])]
        ranked, shown = _read(bank, top_k=1)
        assert [r.q for r in ranked] == pytest.approx([r.similarity for r in ranked])
        assert [r.case.id for r in shown] == ids[:1]  # eval: the most similar
        reads = Counter(_read(bank, "train", seed, top_k=1)[1][0].case.id for seed in range(50))
        assert reads == {ids[0]: 50}  # train: the nearest too (no evidence, equal optimism)
        soft = Counter(
            _read(bank, "train", seed, top_k=1, exploration="sampling")[1][0].case.id
            for seed in range(300)
        )
        assert soft[ids[0]] > soft[ids[1]] > soft[ids[2]]  # sampling: more often the nearer


def test_evidence_ages_so_a_case_whose_reads_stopped_working_sinks() -> None:
    """20 reads that succeeded, then 8 that failed: the case now misleads. Aged, its old
    successes no longer outweigh its new failures and an untried case (cosine 0.6) goes first;
    with evidence that never ages (half_life 0) the stale successes would keep it on top. The
    change detector is off here, so this is aging alone."""
    with CaseBank(":memory:", dim=DIM) as bank:
        stale = _case(bank, "stale", at_cosine(0.9, 1))
        untried = _case(bank, "untried", at_cosine(0.6, 2))
        _reads(bank, stale, TASK, [1.0] * 20 + [0.0] * 8)
        no_detector = {"change_after": 0, "plan_change_after": 0}
        _, shown = _read(bank, top_k=1, **no_detector)  # aging alone, no change detector
        assert [r.case.id for r in shown] == [untried]
        never_aged = _read(bank, top_k=1, half_life=0, **no_detector)[1]
        assert [r.case.id for r in never_aged] == [stale]


def test_a_change_is_detected_so_a_case_that_stopped_working_sinks_within_three_reads() -> None:
    """20 reads that succeeded, then 3 that failed (the world changed): the run of failures
    weighs the old successes down, so an untried case (cosine 0.6) goes first; aging alone
    (no detector) would keep the stale case on top for many more reads. One success after
    the failures and the case is back on top: the detector reads only the newest run."""
    with CaseBank(":memory:", dim=DIM) as bank:
        stale = _case(bank, "stale", at_cosine(0.9, 1))
        untried = _case(bank, "untried", at_cosine(0.6, 2))
        _reads(bank, stale, TASK, [1.0] * 20 + [0.0] * 3)
        assert [r.case.id for r in _read(bank, top_k=1)[1]] == [untried]
        aging_alone = _read(bank, top_k=1, change_after=0, plan_change_after=0)[1]
        assert [r.case.id for r in aging_alone] == [stale]
    with CaseBank(":memory:", dim=DIM) as bank:
        working = _case(bank, "working again", at_cosine(0.9, 1))
        _case(bank, "untried", at_cosine(0.6, 2))
        _reads(bank, working, TASK, [1.0] * 20 + [0.0] * 3 + [1.0])
        assert [r.case.id for r in _read(bank, top_k=1)[1]] == [working]


def test_a_reliable_case_back_in_line_keeps_all_its_evidence() -> None:
    """A case that works nine times in ten fails now and then: its failure weighs its history
    down only until the next success, which counts the whole history again (the detector reads
    the newest run against the older majority, not each flip)."""
    targets = np.array([1.0] * 10 + [0.0] + [1.0])
    groups, times = np.zeros(len(targets), dtype=np.intp), np.arange(len(targets), dtype=float)
    detected = age_weights(groups, times, 8.0, targets, change_after=1)
    assert detected == pytest.approx(age_weights(groups, times, 8.0, targets, change_after=0))
    failed_last = age_weights(groups[:-1], times[:-1], 8.0, targets[:-1], change_after=1)
    assert failed_last[:10] == pytest.approx(0.5 * age_weights(groups[:-1], times[:-1], 8.0)[:10])


def test_a_planted_success_is_shown_with_mu_below_five_percent_after_three_failed_reads() -> None:
    with CaseBank(":memory:", dim=DIM) as bank:
        planted = _case(bank, "planted", at_cosine(0.97, 1), plan=["the wrong approach"])
        useful = _case(bank, "useful", at_cosine(0.7, 2))
        _case(bank, "other", at_cosine(0.65, 3))
        _reads(bank, useful, at_cosine(0.9, 4), [1.0, 1.0])
        assert _mu(_read(bank)[0])[planted] > 0.3  # before: the nearest, verified-looking
        _reads(bank, planted, at_cosine(0.9, 5), [0.0, 0.0, 0.0])
        assert _mu(_read(bank)[0])[planted] < 0.05


def test_mu_is_the_modes_own_policy_so_eval_holds_no_exploration_bonus() -> None:
    """A planted case that failed once at a far state keeps most of its optimism bonus here:
    train mode, which explores by score + bonus, puts it first; eval mode reads by score alone,
    so its mu is softmax(score / alpha), without the bonus it never acts on."""
    with CaseBank(":memory:", dim=DIM) as bank:
        planted = _case(bank, "planted", at_cosine(0.97, 1), plan=["the wrong approach"])
        useful = _case(bank, "useful", at_cosine(0.8, 2))
        _reads(bank, useful, TASK, [1.0] * 4)
        _reads(bank, planted, at_cosine(0.5, 3), [0.0])
        ranked = _read(bank)[0]
        alpha = make_context().alpha
        scores = np.array([r.q for r in ranked]) / alpha
        softmax = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        assert [r.probability for r in ranked] == pytest.approx(softmax.tolist())
        assert _mu(ranked)[planted] < 0.5 < 0.8 < _mu(_read(bank, "train")[0])[planted]


def test_an_untried_identical_case_outranks_an_unrelated_one_with_a_lucky_read() -> None:
    """The early-bank trap: "What is 4 * 4?" (cosine 0.39) once helped a far task; the task's
    own solved question (cosine 1) was never read. The identical case goes first."""
    with CaseBank(":memory:", dim=DIM) as bank:
        identical = _case(bank, "What is 17 * 23 + 5?", TASK)
        lucky = _case(bank, "What is 4 * 4?", at_cosine(0.39, 1))
        _reads(bank, lucky, at_cosine(0.4, 2), [1.0])
        ranked, shown = _read(bank, top_k=1)
        assert [r.case.id for r in shown] == [identical]
        assert {r.case.id: r.q for r in ranked}[lucky] < 0.6


def _mu(ranked: list[RankedCase]) -> dict[str, float]:
    return {r.case.id: r.probability for r in ranked}
