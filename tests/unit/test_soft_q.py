"""Soft-Q learning with numbers: kernel Q, the soft policy, and the paper's targets."""

from __future__ import annotations

import math
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from memory import (
    Case,
    CaseBank,
    KernelQ,
    LogisticQModel,
    ParametricQ,
    Visit,
    kernel_q,
    select_cases,
    soft_policy,
    soft_q_targets,
    soft_value,
)
from memory.policy.write import record_visits
from nodes import MementoDeps
from tests.backends import ENGINES, scratch_folder, store_location
from tests.conftest import make_context
from tests.fakes import HashingEmbedder


@pytest.fixture(params=ENGINES)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that stores cases runs on every case-bank engine."""
    with scratch_folder(tmp_path) as folder:
        yield store_location(request.param, folder)


def test_kernel_q_matches_eq9_on_a_hand_computed_example() -> None:
    # k = [exp(0), exp((0.7 - 1) / 0.3)] = [1, 0.367879]
    # Q = (1*1 + 0.367879*0 + 0.01*0.5) / (1 + 0.367879 + 0.01)
    q = kernel_q(np.array([1.0, 0.7]), np.array([1.0, 0.0]), tau=0.3, lam=0.01, q0=0.5)
    assert q == pytest.approx(0.7293817, abs=1e-6)
    assert kernel_q(np.array([]), np.array([]), tau=0.3, lam=0.01, q0=0.5) == 0.5


def _case(bank: CaseBank, question: str, vector: list[float]) -> str:
    now = time.time()
    case = Case(id="", namespace="n", question=question, reward=1.0, created_at=now, updated_at=now)
    return bank.add(case, vector).id


def _visits(bank: CaseBank, case_id: str, state: list[float], target: float, n: int) -> None:
    bank.add_visits(
        [
            (
                Visit(
                    id=str(uuid.uuid4()),
                    case_id=case_id,
                    namespace="n",
                    target=target,
                    created_at=time.time(),
                ),
                state,
            )
            for _ in range(n)
        ]
    )


def test_visits_with_target_one_raise_q_above_the_prior_and_mu_above_a_failing_case(
    location: str,
) -> None:
    with CaseBank(location, dim=3) as bank:
        s = [1.0, 0.2, 0.0]
        helpful = _case(bank, "helpful", [1.0, 0.0, 0.0])
        useless = _case(bank, "useless", [1.0, 0.1, 0.0])
        _visits(bank, helpful, s, 1.0, 5)
        _visits(bank, useless, s, 0.0, 5)
        estimator = KernelQ(bank, tau=0.3, lam=0.01, q0=0.5)
        candidates = bank.search(s, namespace="n", limit=2)
        parts = estimator.score_parts(np.array(s), candidates)
        questions = [c.case.question for c in candidates]
        by_question = dict(zip(questions, parts.learned, strict=True))
        assert by_question["helpful"] > 0.99 > 0.5  # far above the prior q0 = 0.5
        assert by_question["useless"] < 0.01
        mu = dict(zip(questions, soft_policy(parts.score, 0.1), strict=True))
        assert mu["helpful"] > 0.99 and mu["useless"] < 0.01


def test_kernel_q_reads_a_bounded_number_of_visits_per_case(location: str) -> None:
    with CaseBank(location, dim=2) as bank:
        case_id = _case(bank, "c", [1.0, 0.0])
        _visits(bank, case_id, [1.0, 0.0], 1.0, 3)  # near the query state
        _visits(bank, case_id, [0.0, 1.0], 0.0, 20)  # far from it
        near = bank.nearest_visits([1.0, 0.0], [case_id], per_case=3)
        assert len(near) == 3 and all(v.target == 1.0 for v in near)


def test_soft_policy_small_alpha_is_top_k_and_large_alpha_is_uniform() -> None:
    q = np.array([0.1, 0.9, 0.5, 0.7, 0.3])
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert list(select_cases(q, 2, 1e-6, "train", rng)) == [1, 3]
    assert soft_policy(q, 1e-6)[1] == pytest.approx(1.0)
    assert np.allclose(soft_policy(q, 1e6), 0.2, atol=1e-6)
    counts = np.zeros(5)
    for _ in range(4000):
        counts[select_cases(q, 1, 1e6, "train", rng)] += 1
    assert np.all(np.abs(counts / 4000 - 0.2) < 0.03)


def test_train_mode_samples_without_replacement_in_proportion_to_mu() -> None:
    q = np.array([1.0, 0.0, 0.0])
    rng = np.random.default_rng(1)
    firsts = [select_cases(q, 3, 0.5, "train", rng)[0] for _ in range(3000)]
    expected = soft_policy(q, 0.5)[0]  # e^2 / (e^2 + 2) = 0.787
    assert np.mean(np.array(firsts) == 0) == pytest.approx(expected, abs=0.03)
    assert all(len(set(select_cases(q, 3, 0.5, "train", rng))) == 3 for _ in range(50))


def test_eval_mode_takes_top_k_by_q() -> None:
    q = np.array([0.2, 0.8, 0.5])
    assert list(select_cases(q, 2, 0.1, "eval", np.random.default_rng())) == [1, 2]


def test_single_step_targets_are_the_reward() -> None:
    assert soft_q_targets([0.7], [], gamma=0.0, alpha=0.1) == [0.7]
    assert soft_q_targets([0.0, 1.0], [np.array([0.3])], gamma=0.0, alpha=0.1) == [0.0, 1.0]


def test_discounted_target_matches_eq8_by_hand() -> None:
    # V(s1) = 0.5 * log(e^(0.2/0.5) + e^(0.8/0.5)) = 0.5 * log(1.49182 + 4.95303) = 0.931641
    assert soft_value(np.array([0.2, 0.8]), 0.5) == pytest.approx(0.9316412, abs=1e-6)
    targets = soft_q_targets([0.0, 1.0], [np.array([0.2, 0.8])], gamma=0.9, alpha=0.5)
    assert targets[0] == pytest.approx(0.9 * 0.9316412, abs=1e-6)  # 0.838477
    assert targets[1] == 1.0
    assert soft_value(np.array([1000.0, 1000.0]), 0.01) == pytest.approx(
        1000.0 + 0.01 * math.log(2)
    )


def test_parametric_q_tells_look_alikes_apart_and_its_weights_live_in_the_bank(
    location: str,
) -> None:
    with CaseBank(location, dim=4) as bank:
        good = _case(bank, "good", [1.0, 0.0, 0.0, 0.0])
        bad = _case(bank, "bad", [1.0, 0.01, 0.0, 0.0])  # nearly the same embedding
        estimator = ParametricQ(bank, LogisticQModel(4), "n")
        s = np.array([0.9, 0.1, 0.1, 0.0])
        before = estimator.q_values(s, bank.search(list(s), namespace="n", limit=2))
        assert np.allclose(before, 0.5)
        for _ in range(20):
            estimator.learn(s, [good, bad], [1.0, 0.0])
        found = bank.search(list(s), namespace="n", limit=2)
        fresh = ParametricQ(bank, LogisticQModel(4), "n")  # another process: reads the records
        after = dict(zip([c.case.question for c in found], fresh.q_values(s, found), strict=True))
        assert after["good"] > 0.8 and after["bad"] < 0.2
        assert ParametricQ(bank, LogisticQModel(4), "other").q_values(s, found) == pytest.approx(
            [0.5, 0.5]
        )


def test_parametric_q_is_rebuilt_from_the_visits_when_its_records_are_missing() -> None:
    with CaseBank(":memory:", dim=4) as bank:
        good = _case(bank, "good", [1.0, 0.0, 0.0, 0.0])
        bad = _case(bank, "bad", [1.0, 0.01, 0.0, 0.0])
        s = [0.9, 0.1, 0.1, 0.0]
        estimator = ParametricQ(bank, LogisticQModel(4), "n")
        for _ in range(20):
            record_visits(bank, estimator, [[good, bad]], [s], [1.0], namespace="n")
            record_visits(bank, estimator, [[bad]], [s], [0.0], namespace="n")
        found = bank.search(s, namespace="n", limit=2)
        learned = estimator.q_values(np.array(s), found)
        bank.q_params.forget("n")
        rebuilt = estimator.q_values(np.array(s), found)
        assert dict(zip([c.case.question for c in found], rebuilt, strict=True))["good"] > 0.7
        assert np.argmax(rebuilt) == np.argmax(learned)
        assert bank.q_params.read("n", [good]) is not None  # stored again once rebuilt


def test_concurrent_parametric_updates_are_neither_duplicated_nor_lost() -> None:
    """Issue 14 item 7: tasks in threads each made a model and overwrote each other's steps."""
    with CaseBank(":memory:", dim=4) as bank:
        case = _case(bank, "c", [1.0, 0.0, 0.0, 0.0])
        deps = MementoDeps(bank=bank, embedder=HashingEmbedder(4))
        ctx = make_context(retrieval="parametric", namespace="n")
        s = np.array([1.0, 0.0, 0.0, 0.0])

        def learn(_: int) -> None:
            deps.estimator(ctx).learn(s, [case], [1.0])

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(learn, range(64)))
        assert bank.q_params.read("n", [case]).updates == 64
