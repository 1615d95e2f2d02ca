"""Retrieving cases for a state, and learning from what the retrieved cases earned.

One implementation of the policy's read and write sides, shared by the graph's `retrieve` and
`update_q` nodes, the LangChain retriever and the agent middleware: vector search for N
candidates, Q(s, c) for each, mu(c|s) = softmax(Q/alpha), K of them read (sampled in train
mode, top-K by Q in eval mode); afterwards a visit (s_t, c_k, y_t) per case read at each cycle t.
Everything here is synchronous; async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from memory.case_identity import normalize_question
from memory.casebank import CaseBank
from memory.q_estimators import QEstimator
from memory.records import Case, Visit
from memory.soft_policy import Mode, select_cases, soft_policy

_VISIT_ID_NAMESPACE = uuid.UUID("0b7d3c52-3f0e-4f55-a0f4-5b2f1f4f7c21")


class RankedCase(BaseModel):
    """A candidate case as the policy sees it in one state: similarity, Q and mu(c|s)."""

    case: Case
    similarity: float
    q: float
    probability: float


def rank_cases(
    bank: CaseBank,
    estimator: QEstimator,
    vector: Sequence[float],
    *,
    namespace: str,
    limit: int,
    alpha: float,
    exclude_question: str | None = None,
    min_similarity: float = -1.0,
) -> list[RankedCase]:
    """The `limit` nearest cases of a namespace with their Q and soft-policy probability.

    Cases less similar than `min_similarity` to the state are dropped before Q is computed:
    a case about something else is never shown, however well it once did.

    In the bank's similarity order (best first); `exclude_question` drops every attempt of
    that question (leakage control in evaluation).
    """
    state = np.asarray(vector, dtype=np.float64)  # once: the store and Q both take arrays
    found = bank.search(state, namespace=namespace, limit=limit, exclude_question=exclude_question)
    found = [s for s in found if s.similarity >= min_similarity]
    q_values = estimator.q_values(state, found)
    probabilities = soft_policy(q_values, alpha)
    return [
        RankedCase(case=s.case, similarity=s.similarity, q=float(q), probability=float(p))
        for s, q, p in zip(found, q_values, probabilities, strict=True)
    ]


def choose_cases(
    ranked: Sequence[RankedCase],
    k: int,
    *,
    alpha: float,
    mode: Mode,
    rng: np.random.Generator,
) -> list[RankedCase]:
    """The K cases to read, best first: sampled from mu in train mode, top-K by Q in eval.

    At most one attempt of each question is read, so K slots show K different questions.
    """
    q_values = np.array([r.q for r in ranked], dtype=np.float64)
    questions = [normalize_question(r.case.question) for r in ranked]
    return [ranked[i] for i in select_cases(q_values, k, alpha, mode, rng, groups=questions)]


def visit_id(run_id: str, case_id: str, cycle: int, *, retrieved: bool) -> str:
    """The id of the visit a run's cycle gives a case: the same inputs always give the same id.

    Storing visits is an upsert by id, so an `update_q` that is retried after its visits were
    stored (a crash before training, a resumed checkpoint) rewrites them instead of counting
    them twice.
    """
    key = f"{run_id}\x00{case_id}\x00{cycle}\x00{'read' if retrieved else 'unread'}"
    return str(uuid.uuid5(_VISIT_ID_NAMESPACE, key))


def record_visits(
    bank: CaseBank,
    estimator: QEstimator,
    shown: Sequence[Sequence[str]],
    states: Sequence[Sequence[float]],
    targets: Sequence[float],
    *,
    namespace: str,
    run_id: str = "",
    unread_ids: Sequence[str] = (),
) -> int:
    """Store a visit (s_t, c, y_t) for every case c read at each cycle t, then train Q on them.

    `shown[t]`, `states[t]` and `targets[t]` belong to cycle t (one entry each for a
    single-step task): each cycle's target goes to the cases read in that cycle's state (paper
    Eq. 8). `unread_ids` (contrastive credit, single-step only) are candidates that were
    scored but not read: each gets a visit with `retrieved=False` and the same target, the
    reward earned without it. Returns the number of visits stored. Visit ids derive from (run,
    case, cycle, read or not), so calling this again for the same run stores nothing new;
    without a `run_id` each call is a new run.
    """
    if not len(shown) == len(states) == len(targets):
        raise ValueError(f"{len(shown)} shown, {len(states)} states, {len(targets)} targets")
    if unread_ids and len(states) != 1:
        raise ValueError("unread candidates (contrastive credit) need a single-step task")
    run_id = run_id or uuid.uuid4().hex
    now = time.time()
    vectors = [[float(x) for x in state] for state in states]  # a cycle's visits share its own
    visits = [
        (
            Visit(
                id=visit_id(run_id, case_id, cycle, retrieved=retrieved),
                case_id=case_id,
                namespace=namespace,
                target=float(target),
                run_id=run_id,
                cycle=cycle,
                created_at=now,
                retrieved=retrieved,
            ),
            vector,
        )
        for cycle, (case_ids, vector, target) in enumerate(
            zip(shown, vectors, targets, strict=True)
        )
        for case_id, retrieved in [
            *((c, True) for c in case_ids),
            *((c, False) for c in unread_ids),
        ]
    ]
    bank.add_visits(visits)
    for case_ids, state, target in zip(shown, states, targets, strict=True):
        if case_ids:
            estimator.learn(
                np.asarray(state, dtype=np.float64),
                list(case_ids),
                [float(target)] * len(case_ids),
                unread_ids,
            )
    return len(visits)
