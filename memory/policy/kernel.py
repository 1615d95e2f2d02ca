"""Kernel Q: what a case's visits near a state say about reading it there (paper Eq. 9), and
the score that weighs that evidence against similarity.

Q(s, c) = (sum_j k_j y_j + lam q0) / (sum_j k_j + lam) over the visits (s_j, y_j) of case c,
k_j = exp((cos(s, s_j) - 1) / tau) * age_j. A case's score is its similarity, moved by what its
visits say in proportion to how much evidence backs it, w = m / (m + prior_visits) with m the
kernel mass of its reads near s:

- shared credit: the same sum with the case's similarity as its prior, weighing prior_visits,
  (sum_j k_j y_j + prior_visits sim(s, c)) / (m + prior_visits) = sim + w (Q - sim): the
  reward expected of reading it, where a case is as good as it is similar until its reads say;
- contrastive credit: sim + w A, A = Q over the steps that read c minus Q over the steps that
  left it unread (each case its own credit, a difference rather than a reward);

and in train mode a bonus, optimism * (1 - w): train mode reads the top K by score + bonus
(`selection` "greedy"; "soft" samples them from mu instead, the paper's policy). The bonus is
the same for every case without evidence, so it never reorders them; it fades as a case is
tried, so cases that keep failing sink below untried ones (exploration), and eval mode ranks
without it. So a cold start, or a case with no visits near the state, ranks as plain
similarity does (a learned policy is never worse than CBR where CBR is right), one lucky visit
from a far state barely moves an identical case's rank, and a case read often near the state is
ranked by what its reads earned. Evidence ages (`half_life`): each newer visit of the same case
halves an older one's weight after `half_life` of them, so a case whose reads stopped working
loses its credit at the speed it is read, while a case whose new reads agree with the old keeps
it. A change is detected on top (`change_after`): while a case's newest reads, `change_after`
or more in a row, all went against the majority of its older ones, those older visits weigh
half as much again per such read, so a case that stopped working (a drift) sinks within a few
reads instead of a half-life. Only the newest run counts: a wrong judgement costs little, and
a case back in line with its history is weighed by all of it at once. The cases of one plan
share what their reads say of a change (`plan_change_after`, `memory.policy.plan_change`):
where the plan's newest steps near s all failed, each of its cases read before, read since or
not, starts from the plan's record since instead of its similarity, and that record counts as
evidence for its bonus: weighing a case's stale visits down does not make it untried again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np

from memory.bank.casebank import CaseBank
from memory.bank.records import ScoredCase
from memory.bank.stored_records import VisitColumns
from memory.policy import defaults
from memory.policy.outcome_runs import newest_runs
from memory.policy.plan_change import plan_changes, plan_indices, stale_factors
from memory.policy.scores import Credit, ScoredByParts, ScoreParts, Selection, similarities


def kernel_weights(cosines: np.ndarray, tau: float) -> np.ndarray:
    """k_j = exp((cos_j - 1) / tau): how much a visit at cosine cos_j to the state weighs."""
    return np.exp((np.asarray(cosines, dtype=np.float64) - 1.0) / tau)


def kernel_q(
    cosines: np.ndarray, targets: np.ndarray, *, tau: float, lam: float, q0: float
) -> float:
    """Paper Eq. 9: (sum_j k_j y_j + lam q0) / (sum_j k_j + lam), k_j = exp((cos_j - 1) / tau)."""
    weights = kernel_weights(cosines, tau)
    weighted_targets = weights @ np.asarray(targets, dtype=np.float64)
    return float((weighted_targets + lam * q0) / (weights.sum() + lam))


def age_weights(
    groups: np.ndarray,
    times: np.ndarray,
    half_life: float,
    targets: np.ndarray | None = None,
    change_after: int = 0,
) -> np.ndarray:
    """0.5 ** (newer / half_life) per visit, `newer` counting the visits of the same group made
    after it (ties in time count as none); all 1 when `half_life` is 0 (evidence never ages).
    With `change_after` and the targets, times `change_discount`'s factor."""
    n = len(groups)
    if (half_life <= 0 and change_after <= 0) or not n:
        return np.ones(n)
    order = np.lexsort((-times, groups))
    sorted_groups = groups[order]
    starts = np.searchsorted(sorted_groups, sorted_groups, "left")
    weights = np.power(0.5, (np.arange(n) - starts) / half_life) if half_life > 0 else np.ones(n)
    if change_after > 0 and targets is not None:
        weights = weights * change_discount(sorted_groups, starts, targets[order], change_after)
    out = np.empty(n)
    out[order] = weights
    return out


def change_discount(
    groups: np.ndarray, starts: np.ndarray, targets: np.ndarray, change_after: int
) -> np.ndarray:
    """Per visit (sorted by group, newest first; `starts` the index of each one's group's
    newest): where a group's newest L >= `change_after` visits all went one way (success:
    target >= 0.5) and most of its older visits went the other, the older ones weigh
    0.5 ** (L - change_after + 1); 1 elsewhere. The case changed: its old evidence is stale
    while its newest reads keep saying so. Only the newest run counts, and a read back in line
    with the older majority ends it at once (a reliable case that failed once is not halved
    again when it works)."""
    n_groups = int(groups.max()) + 1
    won = targets >= 0.5
    newest, newest_won = newest_runs(groups, starts, won, n_groups)
    length = np.bincount(groups, newest, minlength=n_groups)
    older = np.bincount(groups, ~newest, minlength=n_groups)
    older_won = np.bincount(groups, ~newest & won, minlength=n_groups)
    departs = newest_won != (older_won >= 0.5 * older)
    changed = (length >= change_after) & departs & (older > 0)
    factor = np.where(changed, np.power(0.5, length - change_after + 1.0), 1.0)
    return np.where(newest, 1.0, factor[groups])


def kernel_q_by_group(
    cosines: np.ndarray,
    targets: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    *,
    tau: float,
    lam: float,
    q0: float,
    ages: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(`kernel_q`, kernel mass) of each group 0..n_groups-1 at once (a group with no visits
    gets q0 and mass 0), each visit's weight times its `ages` factor where given: the same
    sums, taken with two `bincount`s instead of one small array per case."""
    weights = kernel_weights(cosines, tau)
    if ages is not None:
        weights = weights * ages
    mass = np.bincount(groups, weights, minlength=n_groups).astype(np.float64)
    weighted_targets = np.bincount(groups, weights * targets, minlength=n_groups)
    return (weighted_targets + lam * q0) / (mass + lam), mass


def selection_for(exploration: str) -> Selection:
    """How train mode reads for the context's `exploration`: "optimism", the top K by score +
    bonus ("greedy"); "sampling", K drawn from mu ("soft", the paper's policy)."""
    return "greedy" if exploration == "optimism" else "soft"


DEFAULT_SELECTION: Selection = selection_for(defaults.EXPLORATION)


@dataclass
class KernelQ(ScoredByParts):
    """Episodic-control Q over each case's stored visits, weighed against similarity.

    Only the `visits_per_case` visits nearest to the state are read, so a read costs
    O(N * visits_per_case) whatever the age of the bank. lam is on the kernel's scale: with
    tau = 0.3 a visit at cosine 0.3 weighs ~0.1, so lam = 0.01 lets a handful of such visits
    outweigh the prior q0 (a lam of 1 would drown hundreds of them; see DESIGN.md).

    credit = "shared" (the paper's) scores a case by the targets of the steps that read it, so
    a useless case read beside a useful one shares its reward. credit = "contrastive" gives each
    case its own: E_k[y | c read] - E_k[y | c a candidate left unread] (the writer stores, for
    every candidate left unread, a visit with `retrieved=False` and the step's target). It is a
    difference, not a value: use it with single-step targets (gamma = 0). credit = "followed"
    (the default) scores as shared; only its writing differs (the graph's `update_q` gives a
    visit only to the cases whose plan the run followed, the nearest plan's where it followed none:
    `memory.policy.followed`).

    `plan_change_after` reads the cases with one plan as one history where it stopped working
    (`memory.policy.plan_change`; shared and followed credit). `similarity_prior=False` scores
    by the learned Q alone (the paper's policy): a cold start then ignores similarity. See the
    module's docstring for the score; the defaults are the product's (`memory.policy.defaults`).
    """

    bank: CaseBank
    tau: float = defaults.TAU
    lam: float = defaults.LAM
    q0: float = defaults.Q0
    visits_per_case: int = defaults.VISITS_PER_CASE
    credit: Credit = defaults.CREDIT
    similarity_prior: bool = defaults.SIMILARITY_PRIOR
    prior_visits: float = defaults.PRIOR_VISITS
    half_life: float = defaults.HALF_LIFE
    change_after: int = defaults.CHANGE_AFTER
    plan_change_after: int = defaults.PLAN_CHANGE_AFTER
    optimism: float = defaults.OPTIMISM
    name: str = "kernel"
    selection: Selection = DEFAULT_SELECTION

    @property
    def credits_unread(self) -> bool:
        return self.credit == "contrastive"

    def score_parts(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> ScoreParts:
        if self.credit not in get_args(Credit):
            raise ValueError(f"credit must be one of {get_args(Credit)}, got {self.credit!r}")
        ids = [c.case.id for c in candidates]
        similarity = similarities(candidates)
        plans = None
        if self.plan_change_after and self.credit != "contrastive":
            plans = plan_indices([getattr(c.case, "plan", None) for c in candidates])
        read, mass, record = self._kernel_values(state, ids, retrieved=True, plans=plans)
        prior, told = similarity, np.zeros_like(similarity)
        if record is not None:  # a changed plan's cases start from its record since the change
            q_plan, told = record
            prior = similarity + told * (q_plan - similarity)
        if self.credit != "contrastive":  # followed credit is shared credit, written sparingly
            learned, advantage = read, read - prior  # its similarity, or plan's record
        else:
            learned = advantage = read - self._kernel_values(state, ids, retrieved=False)[0]
        weight = np.divide(mass, mass + self.prior_visits, out=np.zeros_like(mass), where=mass > 0)
        if not self.similarity_prior:
            return ScoreParts(learned, similarity, learned, mass, np.ones_like(mass), 0 * mass)
        # What a case not yet tried near s may hold: neither its reads nor its plan's record
        # since a change say (stale reads weighed down would otherwise buy it exploration).
        bonus = self.optimism * (1.0 - weight) * (1.0 - told)
        score = prior + weight * advantage
        return ScoreParts(score, similarity, learned, mass, weight, bonus, prior)

    def _kernel_values(
        self,
        state: np.ndarray,
        ids: list[str],
        *,
        retrieved: bool,
        plans: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """Each candidate's kernel Q and mass; with `plans` (each candidate's plan index), the
        record of the plans that changed (`_plan_record`), or None where none did."""
        visits = self.bank.nearest_visit_columns(
            state, ids, per_case=self.visits_per_case, retrieved=retrieved
        )
        row = {case_id: i for i, case_id in enumerate(dict.fromkeys(ids))}
        groups = visits.groups
        if groups is None:
            groups = np.array([row[case_id] for case_id in visits.case_ids], dtype=np.intp)
        ages = None
        if self.half_life or self.change_after:
            ages = age_weights(
                groups, visits.times, self.half_life, visits.targets, self.change_after
            )
        record = None
        if plans is not None and len(groups) and plans.max() >= 0:
            ages, record = self._plan_record(visits, groups, row, ids, plans, ages)
        q, mass = kernel_q_by_group(
            visits.cosines,
            visits.targets,
            groups,
            len(row),
            tau=self.tau,
            lam=self.lam,
            q0=self.q0,
            ages=ages,
        )
        rows = [row[i] for i in ids]
        return q[rows], mass[rows], record

    def _plan_record(
        self,
        visits: VisitColumns,
        groups: np.ndarray,
        row: dict[str, int],
        ids: list[str],
        plans: np.ndarray,
        ages: np.ndarray | None,
    ) -> tuple[np.ndarray | None, tuple[np.ndarray, np.ndarray] | None]:
        """The ages with the stale visits of every changed plan weighed down, and per
        candidate its plan's record since the change: Q and that record's weight,
        m / (m + prior_visits), 0 where the plan did not change or the case has no visits (no
        evidence to be stale), so the candidate keeps its similarity and its bonus."""
        rows = [row[i] for i in ids]
        plan_of_row = np.full(len(row), -1, dtype=np.intp)
        plan_of_row[rows] = plans
        visit_plans = plan_of_row[groups]
        changes = plan_changes(
            visit_plans,
            visits.times,
            visits.targets,
            kernel_weights(visits.cosines, self.tau),
            self.plan_change_after,
            int(plans.max()) + 1,
        )
        if not changes.changed.any():
            return ages, None
        stale = stale_factors(visit_plans, visits.times, changes)
        ages = stale if ages is None else ages * stale
        read = np.zeros(len(row), dtype=bool)
        read[groups] = True
        index = np.maximum(plans, 0)
        changed = (plans >= 0) & changes.changed[index] & read[rows]
        trust = changes.mass[index] / (changes.mass[index] + self.prior_visits)
        return ages, (changes.q[index], np.where(changed, trust, 0.0))

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        return None  # the visits are the model
