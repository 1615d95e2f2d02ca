"""Why a task would get the cases it gets: the candidates, their Q, and the visits behind Q.

`explain` runs the read side of the policy (`memory.policy.read.rank_cases`, `choose_cases` in
eval mode: the top K by score, what a held-out run reads; a training run adds its exploration)
and, for each candidate, reads the stored visits nearest to the task: each visit's target, the
run that wrote it and its kernel weight exp((cos - 1) / tau), the share of Q it carries. A
visit's state is the task its run was solving: the question of the case that run wrote (the
run's later cycles add their results to it), when that case is still in the bank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from memory.bank.records import Case, ScoredCase
from memory.policy import defaults
from memory.policy.kernel import age_weights
from memory.policy.read import RankedCase, read_cases

if TYPE_CHECKING:
    from memory.bank.casebank import CaseBank
    from memory.policy.scores import QEstimator


class VisitEvidence(BaseModel):
    """One stored visit of a candidate: the credit it gave and how much it weighs here."""

    target: float
    cosine: float
    weight: float
    """Its share of Q here: the kernel exp((cos - 1) / tau) times its `age`."""
    age: float = 1.0
    """0.5 ** (newer visits of the case, of its kind / half_life), halved again per read of a
    run of newer reads that went the other way (`change_after`): 1 while evidence never ages."""
    read: bool
    run_id: str
    cycle: int
    state: str | None
    """The task of the visit's run (the question of the case it wrote), when known."""


class Candidate(RankedCase):
    """A candidate case for the task: what the policy saw (its score and the score's parts),
    whether it would be shown, and the visits behind its Q."""

    shown: bool
    visits: int
    nearest: list[VisitEvidence]


def explain(
    bank: CaseBank,
    estimator: QEstimator,
    vector: Sequence[float],
    *,
    namespace: str,
    num_candidates: int = 32,
    top_k: int = 4,
    alpha: float = defaults.ALPHA,
    min_similarity: float = defaults.MIN_SIMILARITY,
    tau: float = 0.3,
    half_life: float = 0.0,
    change_after: int = 0,
    per_case: int = 3,
) -> list[Candidate]:
    """The candidates a task (embedded as `vector`) would get, in the policy's order, each with
    its nearest `per_case` visits (`memento cases why`)."""
    ranked, chosen = read_cases(
        bank,
        estimator,
        vector,
        namespace=namespace,
        limit=num_candidates,
        k=top_k,
        alpha=alpha,
        mode="eval",
        rng=np.random.default_rng(0),
        min_similarity=min_similarity,
    )
    shown = {r.case.id for r in chosen}
    state = _unit(vector)
    evidence = {
        r.case.id: _evidence(bank, r.case, state, tau, half_life, change_after) for r in ranked
    }
    runs = {v.run_id for found in evidence.values() for v in found[:per_case] if v.run_id}
    tasks = {c.run_id: c.question for c in bank.cases_where(namespace, "run_id", sorted(runs))}
    return [
        Candidate(
            **dict(r),
            shown=r.case.id in shown,
            visits=len(evidence[r.case.id]),
            nearest=[
                v.model_copy(update={"state": tasks.get(v.run_id)})
                for v in evidence[r.case.id][:per_case]
            ],
        )
        for r in ranked
    ]


def search_cases(
    bank: CaseBank, vector: Sequence[float], *, namespace: str, limit: int
) -> list[ScoredCase]:
    """The cases nearest in meaning to an embedded text, best first (quarantined ones too)."""
    found = bank.search(vector, namespace=namespace, limit=limit)
    quarantined = bank.cases_where(namespace, "provenance", ["quarantined"])
    if quarantined:
        vectors = bank.case_vectors([c.id for c in quarantined])
        query = _unit(vector)
        found += [
            ScoredCase(case=c, similarity=float(_unit(vectors[c.id]) @ query)) for c in quarantined
        ]
        found.sort(key=lambda s: s.similarity, reverse=True)
    return found[:limit]


def _evidence(
    bank: CaseBank,
    case: Case,
    state: np.ndarray,
    tau: float,
    half_life: float,
    change_after: int,
) -> list[VisitEvidence]:
    """Every visit of the case, nearest to the state first (their tasks filled in later)."""
    visits = list(bank.visit_states(case.namespace, case_id=case.id))
    kinds = np.array([int(v.retrieved) for v, _ in visits], dtype=np.intp)
    times = np.array([v.created_at for v, _ in visits])
    targets = np.array([v.target for v, _ in visits])
    ages = age_weights(kinds, times, half_life, targets, change_after)
    found = []
    for (visit, vector), age in zip(visits, ages.tolist(), strict=True):
        cosine = float(_unit(vector) @ state)
        found.append(
            VisitEvidence(
                target=visit.target,
                cosine=cosine,
                weight=math.exp((cosine - 1.0) / tau) * age,
                age=age,
                read=visit.retrieved,
                run_id=visit.run_id,
                cycle=visit.cycle,
                state=None,
            )
        )
    found.sort(key=lambda e: e.cosine, reverse=True)
    return found


def _unit(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float64)
    norm = np.linalg.norm(array)
    return array / norm if norm else array
