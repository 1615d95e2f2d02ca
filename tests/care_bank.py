"""A small bank with learning history, written through the real write side, for bank-care tests.

Cases A and B are helpers; C is the case written by run `run-c`, which read A and B in state
S1 and left D unread (contrastive credit) and earned reward 0; run `run-x` read A in state S2
and earned 1 (its case is X); run `run-y` read C in state S1 and earned 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from memory import Case, CaseBank, KernelQ, LogisticQModel, ParametricQ, QEstimator
from memory.policy.write import record_visits

DIM = 8
NS = "n"


def vec(*head: float) -> list[float]:
    vector = np.array([*head, *[0.0] * (DIM - len(head))])
    return (vector / np.linalg.norm(vector)).tolist()


S1 = vec(1.0, 0.2)
S2 = vec(1.0, -0.3, 0.4)


def add_case(
    bank: CaseBank,
    question: str,
    vector: list[float],
    *,
    reward: float = 1.0,
    run_id: str = "",
    answer: str = "42",
    plan: tuple[str, ...] = ("compute it [calculate]",),
    provenance: str = "ground_truth",
    at: float | None = None,
    namespace: str = NS,
) -> Case:
    now = time.time() if at is None else at
    case = Case(
        id="",
        namespace=namespace,
        question=question,
        plan=list(plan),
        answer=answer,
        reward=reward,
        run_id=run_id,
        provenance=provenance,  # type: ignore[arg-type]
        created_at=now,
        updated_at=now,
    )
    stored = bank.add(case, vector)
    if at is not None:  # an old case: written long ago, as stored then
        stored = stored.model_copy(update={"created_at": at, "updated_at": at})
        bank.put_case(stored, vector)
    return stored


@dataclass
class History:
    a: Case
    b: Case
    c: Case
    d: Case
    x: Case


def learned_bank(
    bank: CaseBank, estimator_for: Callable[[CaseBank], QEstimator] | None = None
) -> History:
    """Fill `bank` with the module's history; `estimator_for(bank)` learns along (parametric)."""
    a = add_case(bank, "What is 2 + 2?", vec(1.0, 0.1))
    b = add_case(bank, "What is 3 * 3?", vec(1.0, 0.0, 0.2))
    d = add_case(bank, "What is 5 - 1?", vec(1.0, 0.0, 0.0, 0.3))
    estimator = estimator_for(bank) if estimator_for else KernelQ(bank, credit="contrastive")
    c = add_case(bank, "What is 6 / 2?", S1, reward=0.0, run_id="run-c", provenance="self_judged")
    record_visits(bank, estimator, [[a.id, b.id]], [S1], [0.0], namespace=NS, run_id="run-c",
                  unread_ids=[d.id])  # fmt: skip
    x = add_case(bank, "What is 7 + 1?", S2, reward=1.0, run_id="run-x")
    record_visits(bank, estimator, [[a.id]], [S2], [1.0], namespace=NS, run_id="run-x")
    record_visits(bank, estimator, [[c.id]], [S1], [1.0], namespace=NS, run_id="run-y")
    return History(a=a, b=b, c=c, d=d, x=x)


def q_of(
    bank: CaseBank, estimator: QEstimator, state: list[float], cases: list[Case]
) -> list[float]:
    """Q(state, c) for each case: what the estimator learned (the score less its similarity)."""
    from memory.bank.records import ScoredCase

    scored = [ScoredCase(case=c, similarity=1.0) for c in cases]
    return [float(q) for q in estimator.score_parts(np.asarray(state), scored).learned]


def parametric(bank: CaseBank) -> ParametricQ:
    return ParametricQ(bank, LogisticQModel(DIM), NS, credit="contrastive")
