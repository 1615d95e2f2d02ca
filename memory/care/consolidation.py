"""Near-duplicate consolidation: cases that show a planner the same thing become one.

Credit describes what was shown (`memory.bank.identity`), so two cases merge only when a
planner reading either would see the same content: near-identical question (embedding cosine
and text), plan and answer, the same outcome (success or failure) and the same trust (verified
or not). Then the one with the most reads (then attempts, then the oldest) is kept, with
those of the others that look like it (not merely like one that looks like it), and:

- the others' visits move to it: each keeps its state, target, run and time, and takes the id
  the kept case would have given it (`memory.policy.read.visit_id`), so a run that was shown two
  of the duplicates counts once; a run that read one duplicate and left another unread
  (contrastive credit) read that content, so its unread visit goes;
- the kept case counts the others' attempts as its own;
- the others are deleted, and parametric Q's weights are rebuilt from the moved visits.
Cases whose question and plan match but whose answer or outcome differ are not duplicates:
they show different content, and stay attempts of the question side by side.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from pydantic import BaseModel

from memory.bank.budget import Usage, case_usage
from memory.bank.records import Case, Visit
from memory.care.pruning import Progress
from memory.policy.write import visit_id

if TYPE_CHECKING:
    from memory.bank.casebank import CaseBank

_EXACT = re.compile(r"\d+(?:[.,]\d+)*|[-+*/^=<>%]")
"""Numbers and operators: two texts that differ in one of them say different things."""
QUESTION_COSINE = 0.95
TEXT_RATIO = 0.9
NEIGHBOURS = 10
"""Nearest cases looked at for each case when looking for its duplicates."""


class DuplicateGroup(BaseModel):
    """Cases showing the same content: the one kept and those merged into it."""

    keeper: Case
    merged: list[Case]


class Consolidated(BaseModel):
    """What a consolidation did."""

    groups: int
    cases_merged: int
    visits_moved: int
    """Visits the kept cases gained (a run shown two duplicates gives one)."""


def near_identical(a: str, b: str, ratio: float = TEXT_RATIO) -> bool:
    """Whether two texts read alike once case, spacing and closing punctuation are set aside.

    Numbers and operators must all agree ("17 * 23" is not "17 - 23"): "the answer is 395."
    and "The answer is 395" are alike, "... is 395" and "... is 396" are not.
    """
    a, b = _bare(a), _bare(b)
    if _EXACT.findall(a) != _EXACT.findall(b):
        return False
    return a == b or SequenceMatcher(None, a, b).ratio() >= ratio


def _bare(text: str) -> str:
    return "".join(text.casefold().split()).rstrip(".!?;:")


def same_content(a: Case, b: Case, ratio: float = TEXT_RATIO) -> bool:
    """Whether a planner shown `a` or `b` would read the same thing (question cosine aside)."""
    return (
        a.succeeded == b.succeeded
        and a.verified == b.verified
        and (a.error is None) == (b.error is None)
        and near_identical(a.question, b.question, ratio)
        and near_identical("\n".join(a.plan), "\n".join(b.plan), ratio)
        and near_identical(a.answer, b.answer, ratio)
    )


def find_duplicates(
    bank: CaseBank,
    namespace: str,
    *,
    question_cosine: float = QUESTION_COSINE,
    text_ratio: float = TEXT_RATIO,
    on_progress: Progress | None = None,
) -> list[DuplicateGroup]:
    """Groups of near-duplicate cases in a namespace (quarantined cases are left alone)."""
    cases = [c for c in bank.list_cases(namespace=namespace) if c.provenance != "quarantined"]
    by_id = {c.id: c for c in cases}
    vectors = bank.case_vectors(list(by_id))
    parent = {c.id: c.id for c in cases}

    def root(case_id: str) -> str:
        while parent[case_id] != case_id:
            parent[case_id] = parent[parent[case_id]]
            case_id = parent[case_id]
        return case_id

    for done, case in enumerate(cases, start=1):
        for hit in bank.search(vectors[case.id], namespace=namespace, limit=NEIGHBOURS):
            other = by_id.get(hit.case.id)
            if other is None or other.id == case.id or hit.similarity < question_cosine:
                continue
            if same_content(case, other, text_ratio):
                parent[root(other.id)] = root(case.id)
        if on_progress is not None:
            on_progress(done, len(cases))
    members: dict[str, list[Case]] = {}
    for case in cases:
        members.setdefault(root(case.id), []).append(case)
    usage = case_usage(cases, bank.list_visits(namespace=namespace))
    groups = [_group(found, usage, text_ratio) for found in members.values() if len(found) > 1]
    return [group for group in groups if group.merged]


def consolidate(
    bank: CaseBank, namespace: str, *, dry_run: bool = False, on_progress: Progress | None = None
) -> tuple[list[DuplicateGroup], Consolidated | None]:
    """Merge a namespace's near-duplicate cases: the groups found and, unless `dry_run`, what
    the merge did (finding, then merging, each reported to `on_progress` as a phase)."""
    groups = find_duplicates(bank, namespace, on_progress=on_progress)
    return groups, None if dry_run else merge_duplicates(bank, groups, on_progress=on_progress)


def merge_duplicates(
    bank: CaseBank, groups: list[DuplicateGroup], *, on_progress: Progress | None = None
) -> Consolidated:
    """Merge each group into its keeper (see the module's docstring for the rule)."""
    moved = 0
    for done, group in enumerate(groups, start=1):
        keeper = group.keeper
        merged_ids = [c.id for c in group.merged]
        held = list(bank.visit_states(keeper.namespace, case_id=keeper.id))
        incoming = [
            (_moved(visit, keeper.id), vector)
            for case_id in merged_ids
            for visit, vector in bank.visit_states(keeper.namespace, case_id=case_id)
        ]
        read = {(v.run_id, v.cycle) for v, _ in [*held, *incoming] if v.retrieved}
        unread_now = [v for v, _ in held if not v.retrieved and (v.run_id, v.cycle) in read]
        incoming = [(v, s) for v, s in incoming if v.retrieved or (v.run_id, v.cycle) not in read]
        bank.add_visits(incoming)
        bank.delete_visits(unread_now)
        attempts = keeper.attempts + sum(c.attempts for c in group.merged)
        latest = max(c.updated_at for c in [keeper, *group.merged])
        vector = bank.case_vectors([keeper.id])[keeper.id]
        bank.put_case(
            keeper.model_copy(update={"attempts": attempts, "updated_at": latest}), vector
        )
        bank.delete(merged_ids)
        bank.q_params.forget(keeper.namespace)
        moved += len({v.id for v, _ in incoming} - {v.id for v, _ in held})
        if on_progress is not None:
            on_progress(done, len(groups))
    merged = sum(len(g.merged) for g in groups)
    return Consolidated(groups=len(groups), cases_merged=merged, visits_moved=moved)


def _group(cases: list[Case], usage: dict[str, Usage], ratio: float) -> DuplicateGroup:
    """The keeper, and those of the others that show what it shows (a chain of look-alikes,
    A like B like C, does not make C a duplicate of A)."""
    ranked = sorted(cases, key=lambda c: (-usage[c.id].reads, -c.attempts, c.created_at, c.id))
    keeper = ranked[0]
    return DuplicateGroup(
        keeper=keeper, merged=[c for c in ranked[1:] if same_content(keeper, c, ratio)]
    )


def _moved(visit: Visit, keeper_id: str) -> Visit:
    """The visit as the kept case's: same state, target, run and time; the kept case's id."""
    new_id = visit_id(visit.run_id, keeper_id, visit.cycle, retrieved=visit.retrieved)
    return visit.model_copy(update={"id": new_id, "case_id": keeper_id})
