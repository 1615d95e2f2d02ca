"""A plan that stopped working near a state: what the cases that share it have not been told.

The kernel's change detector (`change_after`) reads one case's visits, so a case moves only
once it is read itself after a change; and weighing its older visits down alike leaves their
mean, its Q, where it was. Where the world changes under many cases of one plan (the suite's
`drift` world: some twenty successes of the stale approach per family), every one of them is
shown and fails in turn before the planner is left to try something else (training in round 4
of `drift`: 0.16, where memory off scores 0.34). The failures of any of them say the same of
all: the cases with one plan (`memory.policy.followed.plan_key`) among a state's candidates
read as one history of steps, and where its newest `after` or more steps all failed while most
of its older ones (weighed by the kernel near the state) worked, the plan changed:

- each of its cases' visits from before the failing run weighs 0.5 ** L less (L its length);
- each of its cases with visits (evidence now stale), read since or not, starts from the
  plan's record since then (the run, its older steps weighed the same) instead of its
  similarity: `sim + w (Q_plan - sim)`, w = m / (m + prior_visits). A case never read keeps
  its similarity (and in training its bonus): nothing it has shown is stale (giving it the
  plan's record too cost `lookalike-luck` 0.04 on 5 seeds);
- in training, the record's weight w counts as evidence for the bonus of the cases it moved,
  x (1 - w): their stale visits weighed down would otherwise make them untried again
  (`drift` +0.04 on 10 seeds).

Only a plan that stopped working is read this way: one that starts working after failing is
left to each case's own reads (lucky runs of a wrong approach would otherwise lift all its
cases at once; the look-alike worlds lost 0.03 to it). benchmarks/README.md, "A plan that
stopped working", has the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from memory.policy.followed import plan_key
from memory.policy.outcome_runs import newest_runs


class PlanChanges(NamedTuple):
    """Per plan (index into the plans of a state's candidates): whether it changed, the length
    of its failing run, when that run began, and its record since (Q and kernel mass)."""

    changed: np.ndarray
    run: np.ndarray
    start: np.ndarray
    q: np.ndarray
    mass: np.ndarray


def plan_indices(plans: Sequence[Sequence[str] | None]) -> np.ndarray:
    """Each case's plan as an index shared by the cases with one plan; -1 for a case without
    steps (a memory, or a case whose plan says nothing), which is never pooled."""
    keys: dict[tuple[str, ...], int] = {}
    out = np.full(len(plans), -1, dtype=np.intp)
    for i, plan in enumerate(plans):
        key = _cached_key(tuple(plan or ()))
        if key:
            out[i] = keys.setdefault(key, len(keys))
    return out


@lru_cache(maxsize=4096)
def _cached_key(plan: tuple[str, ...]) -> tuple[str, ...]:
    """`plan_key`, remembered: a retrieve reads the same cases' plans again and again."""
    return plan_key(plan)


def plan_changes(
    plans: np.ndarray,
    times: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    after: int,
    n_plans: int,
) -> PlanChanges:
    """The changes of each plan from its cases' visits near a state: per visit its plan
    (`plan_indices`, -1 skipped), time, target and kernel weight. A step that credited
    several cases of one plan (one time) counts once. Arrays of `n_plans` (> every index)."""
    keep = plans >= 0
    plan, time, target, weight = plans[keep], times[keep], targets[keep], weights[keep]
    order = np.lexsort((-time, plan))  # by plan, newest first
    plan, time, target, weight = plan[order], time[order], target[order], weight[order]
    first = np.ones(len(plan), dtype=bool)  # one per step: its first visit in this order
    first[1:] = (plan[1:] != plan[:-1]) | (time[1:] != time[:-1])
    plan, time, target, weight = plan[first], time[first], target[first], weight[first]
    won = target >= 0.5
    newest, newest_won = newest_runs(plan, np.searchsorted(plan, plan, "left"), won, n_plans)
    run = np.bincount(plan, newest, minlength=n_plans)
    older = np.bincount(plan, weight * ~newest, minlength=n_plans)
    older_won = np.bincount(plan, weight * (~newest & won), minlength=n_plans)
    changed = (run >= after) & ~newest_won & (older > 0) & (older_won >= 0.5 * older)
    start = np.full(n_plans, np.inf)
    np.minimum.at(start, plan[newest], time[newest])
    discount = np.where(newest, 1.0, np.power(0.5, run[plan].astype(np.float64)))
    mass = np.bincount(plan, weight * discount, minlength=n_plans)
    weighted = np.bincount(plan, weight * discount * target, minlength=n_plans)
    q = np.divide(weighted, mass, out=np.zeros(n_plans), where=mass > 0)
    return PlanChanges(changed & (after > 0), run, start, q, mass)


def stale_factors(plans: np.ndarray, times: np.ndarray, changes: PlanChanges) -> np.ndarray:
    """Per visit: 0.5 ** L where its case's plan changed and the visit predates the failing
    run, else 1."""
    index = np.maximum(plans, 0)
    stale = (plans >= 0) & changes.changed[index] & (times < changes.start[index])
    return np.where(stale, np.power(0.5, changes.run[index].astype(np.float64)), 1.0)
