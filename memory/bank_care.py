"""Bank care on `CaseBank`: relabel, prune, consolidate, explain and search by meaning.

Thin methods, so a user finds them on the bank; the work lives in one module per job
(`memory.relabel`, `memory.pruning`, `memory.consolidation`, `memory.explain`). Deleting is
`CaseBank.delete`: a case goes with its visits and its own parametric bias, and no other case's
Q moves. The long steps take `on_progress(done, total)` for a progress bar; a step in phases
(consolidation: finding, then merging) starts each phase at done=1 with its own total.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from memory.casebank import CaseBank
    from memory.consolidation import Consolidated, DuplicateGroup
    from memory.explain import Candidate
    from memory.pruning import Progress, PrunePlan
    from memory.q_estimators import QEstimator
    from memory.records import ScoredCase
    from memory.relabel import Relabelled


class BankCare:
    """The bank-care methods of `CaseBank` (each delegates to its module)."""

    def relabel(self: CaseBank, case_id: str, reward: float, *, note: str = "") -> Relabelled:
        """A person overrules the judge: see `memory.relabel` for what follows."""
        from memory.relabel import relabel

        return relabel(self, case_id, reward, note=note)

    def prune(
        self: CaseBank,
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
        """Remove cases by age, Q or count budget (`memory.pruning`); returns what goes (or,
        with `dry_run`, what would go; `gone`: cases to count as removed already)."""
        from memory.pruning import apply_prune, plan_prune

        plan = plan_prune(
            self,
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
            apply_prune(self, plan)
        return plan

    def consolidate(
        self: CaseBank,
        namespace: str,
        *,
        dry_run: bool = False,
        on_progress: Progress | None = None,
    ) -> tuple[list[DuplicateGroup], Consolidated | None]:
        """Merge near-duplicate cases (`memory.consolidation`): the groups found and, unless
        `dry_run`, what the merge did."""
        from memory.consolidation import consolidate, find_duplicates

        groups = find_duplicates(self, namespace, on_progress=on_progress)
        return groups, None if dry_run else consolidate(self, groups, on_progress=on_progress)

    def why(
        self: CaseBank,
        vector: Sequence[float],
        estimator: QEstimator,
        *,
        namespace: str,
        num_candidates: int = 32,
        top_k: int = 4,
        alpha: float = 0.1,
        min_similarity: float = 0.3,
        tau: float = 0.3,
        per_case: int = 3,
    ) -> list[Candidate]:
        """The candidates a task (embedded as `vector`) would get, and the visits behind each
        Q (`memory.explain`)."""
        from memory.explain import explain

        return explain(
            self,
            estimator,
            vector,
            namespace=namespace,
            num_candidates=num_candidates,
            top_k=top_k,
            alpha=alpha,
            min_similarity=min_similarity,
            tau=tau,
            per_case=per_case,
        )

    def search_meaning(
        self: CaseBank, vector: Sequence[float], *, namespace: str, limit: int = 10
    ) -> list[ScoredCase]:
        """The cases nearest in meaning to an embedded text, quarantined ones included."""
        from memory.explain import search_cases

        return search_cases(self, vector, namespace=namespace, limit=limit)
