"""A namespace's count budget: which cases were used least recently, from attempts and reads.

A bank opened with `max_cases` keeps its budget on every write (`CaseBank.add_many`): when a
write passes it, the least recently used cases go, with their visits, until 90% of the budget
remain, so the scan that finds them runs once per tenth of the budget. Used means written again
(an attempt) or read by a task (a visit), whichever is newer. `memento cases prune --max-cases`
applies the same order (`memory.care.pruning`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from memory.bank.records import Case, Visit

BUDGET_SLACK = 0.1
"""Share of the budget freed when a write passes it (so a write rarely pays for a scan)."""


@dataclass
class Usage:
    """How a case has been used: when last (written or read) and how often read."""

    last_used: float
    reads: int = 0


def case_usage(cases: Sequence[Case], visits: Iterable[Visit]) -> dict[str, Usage]:
    """Each case's last use and number of reads, from its attempts and its visits."""
    usage = {case.id: Usage(last_used=case.updated_at) for case in cases}
    for visit in visits:
        held = usage.get(visit.case_id)
        if held is not None and visit.retrieved:
            held.reads += 1
            held.last_used = max(held.last_used, visit.created_at)
    return usage


def over_budget(cases: Sequence[Case], usage: dict[str, Usage], budget: int) -> list[Case]:
    """The cases beyond the `budget` most recently used ones, least recently used first."""
    by_recency = sorted(cases, key=lambda c: (usage[c.id].last_used, c.created_at))
    return by_recency[: max(len(by_recency) - budget, 0)]


def kept_after_write(max_cases: int) -> int:
    """How many cases a namespace keeps once a write has passed its budget."""
    return max_cases - int(max_cases * BUDGET_SLACK)
