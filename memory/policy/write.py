"""The policy's write side: what the cases a run read earned, stored as visits, then learned.

A visit (s_t, c_k, y_t) per case read at each cycle t (and, with contrastive credit, one per
candidate left unread), shared by the graph's `update_q` node, the agent middleware and the MCP
memory server. Visits are the only record of credit: Q is always recomputable from them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import numpy as np

from memory.bank.casebank import CaseBank
from memory.bank.records import Visit
from memory.bank.retrievals import Retrieval
from memory.bank.steps import visit_id
from memory.policy.scores import QEstimator


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
    reward earned without it, where the estimator credits them (`credits_unread`). The
    graph, the middleware and the MCP memory server all come here, so this is where they are
    dropped for every other estimator: no caller stores visits nothing reads. Returns the
    number of visits stored. Visit ids derive from (run, case, cycle, read or not), so calling
    this again for the same run stores nothing new; without a `run_id` each call is a new run.
    """
    if not len(shown) == len(states) == len(targets):
        raise ValueError(f"{len(shown)} shown, {len(states)} states, {len(targets)} targets")
    if not estimator.credits_unread:
        unread_ids = ()
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


def credit_retrievals(
    bank: CaseBank,
    estimator: QEstimator,
    *,
    namespace: str | None,
    run_id: str,
    reward: float,
) -> int:
    """Credit what a run's saved retrievals showed (`memory.bank.retrievals`) in `namespace`
    (None: in every namespace, each in its own): each one not yet reported gets a visit per item
    shown, target = the run's reward, in the retrieval's state.

    A retrieval is reported once (a check-and-set under the bank's lock) and its visits take
    its id as their run id, so a repeated report credits nothing twice. Returns the number of
    visits stored.
    """
    recorded = 0
    for retrieval, vector in bank.retrievals.of_run(namespace, run_id):
        if not retrieval.shown or bank.retrievals.report(retrieval.id, {"reward": reward}):
            continue  # nothing shown, or credited before
        recorded += credit_memories_shown(bank, estimator, retrieval, vector, reward)
    return recorded


def credit_memories_shown(
    bank: CaseBank,
    estimator: QEstimator,
    retrieval: Retrieval,
    vector: Sequence[float],
    reward: float,
) -> int:
    """A visit (target = `reward`, in the retrieval's state, its id as their run id) for each
    memory version the retrieval showed that the bank still holds: a version updated or
    deleted since went with its credit, and a visit to its id would wait for that content to
    come back. Returns the number of visits stored (the caller reports the retrieval once)."""
    held = {item.id for item in bank.memories.get_many(retrieval.shown)}
    shown = [memory_id for memory_id in retrieval.shown if memory_id in held]
    if not shown:
        return 0
    return record_visits(
        bank,
        estimator,
        [shown],
        [vector],
        [reward],
        namespace=retrieval.namespace,
        run_id=retrieval.id,
    )
