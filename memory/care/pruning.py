"""Forgetting: which cases of a namespace go, by age, by Q, or to keep a count budget.

Every rule only ever removes whole cases with their visits (`CaseBank.delete`), so what stays
is exactly as credited before: no other case's Q moves. A plan is computed first and applied
second, so `--dry-run` is the plan alone.

- age: a case not used since the cut-off goes; used means written again (an attempt) or read by
  a task (a visit), whichever is newer, so a case the agent keeps reading stays however old.
- Q: a case whose Q at its own question (the state it is most about) is below a threshold goes,
  but only with at least `min_visits` reads behind that Q: an untried case has only the prior.
- budget: past `max_cases` in a namespace, the least recently used go first (the order a bank
  opened with `max_cases` keeps on every write: `memory.bank.budget`).

Deleting one case is `CaseBank.delete`: it goes with its visits and its own parametric bias.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from memory.bank.budget import case_usage, over_budget
from memory.bank.records import Case, ScoredCase

if TYPE_CHECKING:
    from memory.bank.casebank import CaseBank
    from memory.policy.scores import QEstimator

Progress = Callable[[int, int], None]
"""Called as `on_progress(done, total)` while a long bank-care step runs (a progress bar); a
step in phases (consolidation: finding, then merging) starts each phase at done=1."""


class Doomed(BaseModel):
    """A case a prune removes, and the rule that removes it."""

    case: Case
    reason: str


class PrunePlan(BaseModel):
    """What a prune removes from a namespace, and how many cases it keeps."""

    namespace: str
    doomed: list[Doomed]
    kept: int


def prune(
    bank: CaseBank,
    namespace: str,
    *,
    older_than_s: float | None = None,
    q_below: float | None = None,
    estimator: QEstimator | None = None,
    min_visits: int = 3,
    max_cases: int | None = None,
    dry_run: bool = False,
    gone: Collection[str] = (),
    on_progress: Progress | None = None,
) -> PrunePlan:
    """Remove cases by age, Q or count budget; returns what goes (or, with `dry_run`, what
    would go; `gone`: cases to count as removed already)."""
    plan = plan_prune(
        bank,
        namespace,
        older_than_s=older_than_s,
        now=time.time(),
        q_below=q_below,
        estimator=estimator,
        min_visits=min_visits,
        max_cases=max_cases,
        gone=gone,
        on_progress=on_progress,
    )
    if not dry_run:
        apply_prune(bank, plan)
    return plan


def plan_prune(
    bank: CaseBank,
    namespace: str,
    *,
    older_than_s: float | None = None,
    now: float,
    q_below: float | None = None,
    estimator: QEstimator | None = None,
    min_visits: int = 3,
    max_cases: int | None = None,
    gone: Collection[str] = (),
    on_progress: Progress | None = None,
) -> PrunePlan:
    """The cases a prune by these rules would remove (nothing is removed here).

    `now` is the time age is measured from (seconds since the epoch); `q_below` needs the
    estimator Q is read with; `gone` names cases to count as removed already (a dry run after
    a consolidation that did not happen).
    """
    if q_below is not None and estimator is None:
        raise ValueError("pruning by Q needs the estimator that reads Q")
    cases = [c for c in bank.list_cases(namespace=namespace) if c.id not in gone]
    usage = case_usage(cases, bank.list_visits(namespace=namespace))
    doomed: dict[str, Doomed] = {}
    if older_than_s is not None:
        cutoff = now - older_than_s
        for case in cases:
            if usage[case.id].last_used < cutoff:
                days = (now - usage[case.id].last_used) / 86_400
                doomed[case.id] = Doomed(case=case, reason=f"unused for {days:.1f} days")
    if q_below is not None and estimator is not None:
        tried = [c for c in cases if c.id not in doomed and usage[c.id].reads >= min_visits]
        for case, q in zip(tried, own_q(bank, estimator, tried, on_progress), strict=True):
            if q < q_below:
                doomed[case.id] = Doomed(case=case, reason=f"Q {q:.3f} < {q_below:g}")
    if max_cases is not None:
        left = [c for c in cases if c.id not in doomed]
        for case in over_budget(left, usage, max_cases):
            doomed[case.id] = Doomed(case=case, reason=f"over the budget of {max_cases}")
    return PrunePlan(
        namespace=namespace, doomed=list(doomed.values()), kept=len(cases) - len(doomed)
    )


def apply_prune(bank: CaseBank, plan: PrunePlan, *, batch: int = 256) -> int:
    """Remove the plan's cases (with their visits); returns how many were removed."""
    ids = [d.case.id for d in plan.doomed]
    for start in range(0, len(ids), batch):
        bank.delete(ids[start : start + batch])
    return len(ids)


def own_q(
    bank: CaseBank,
    estimator: QEstimator,
    cases: Sequence[Case],
    on_progress: Progress | None = None,
) -> list[float]:
    """Q(s_c, c) of each case at its own question's embedding s_c: what its visits say (the
    learned part of its score, without the similarity every case has to its own question)."""
    vectors = bank.case_vectors([c.id for c in cases])
    values = []
    for done, case in enumerate(cases, start=1):
        state = np.asarray(vectors[case.id], dtype=np.float64)
        parts = estimator.score_parts(state, [ScoredCase(case=case, similarity=1.0)])
        values.append(float(parts.learned[0]))
        if on_progress is not None:
            on_progress(done, len(cases))
    return values
