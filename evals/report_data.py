"""What a report shows of a case bank: its cases with reward, Q and visits, and its history.

Q depends on a state; a case's Q here is Q(s_c, c) at its own question s_c, by the estimator the
namespace learns with: what the policy would think of the case for the very task it solved. With
similarity retrieval Q is a cosine (1 at its own question), so none is shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from memory.bank.casebank import CaseBank
from memory.bank.records import Case, ScoredCase
from memory.policy.scores import QEstimator

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class CaseRow:
    """One case as the report lists it."""

    case: Case
    q: float | None
    visits: int
    mean_target: float | None


@dataclass(frozen=True)
class BankView:
    """A namespace of a bank: its newest cases in rows, every case's reward oldest first."""

    namespace: str
    retrieval: str
    total: int
    rows: list[CaseRow]
    rewards_oldest_first: list[float] = field(default_factory=list)
    credit: str | None = None
    """The estimator's credit ("contrastive": Q in [-1, 1], below 0 worse than unread)."""


def bank_view(
    bank: CaseBank,
    estimator: QEstimator,
    namespace: str,
    *,
    limit: int,
    on_progress: ProgressCallback | None = None,
) -> BankView:
    """The namespace's `limit` newest cases with their Q and visits (one Q read per case)."""
    cases = bank.list_cases(namespace=namespace)
    shown = cases[:limit]
    targets: dict[str, list[float]] = defaultdict(list)
    for visit in bank.list_visits(namespace=namespace):
        if visit.retrieved:
            targets[visit.case_id].append(visit.target)
    q_values = _own_question_q(bank, estimator, shown, on_progress)
    rows = [
        CaseRow(
            case=case,
            q=q_values.get(case.id),
            visits=len(targets[case.id]),
            mean_target=float(np.mean(targets[case.id])) if targets[case.id] else None,
        )
        for case in shown
    ]
    history = sorted(cases, key=lambda c: (c.created_at, c.id))
    return BankView(
        namespace=namespace,
        retrieval=estimator.name,
        total=len(cases),
        rows=rows,
        rewards_oldest_first=[c.reward for c in history],
        credit=getattr(estimator, "credit", None),
    )


def _own_question_q(
    bank: CaseBank,
    estimator: QEstimator,
    cases: list[Case],
    on_progress: ProgressCallback | None,
) -> dict[str, float]:
    if estimator.name == "similarity" or not cases:
        return {}
    vectors = bank.case_vectors([c.id for c in cases])
    q_values: dict[str, float] = {}
    for done, case in enumerate(cases, start=1):
        vector = vectors.get(case.id)
        if vector:
            state = np.asarray(vector, dtype=np.float64)
            scored = [ScoredCase(case=case, similarity=1.0)]
            q_values[case.id] = float(estimator.q_values(state, scored)[0])
        if on_progress is not None:
            on_progress(done, len(cases))
    return q_values
