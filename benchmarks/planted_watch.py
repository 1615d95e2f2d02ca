"""What the policy did with planted cases: mu at every retrieval where one was a candidate.

Issue 25 asks that a planted wrong "success" be shown with mu < 0.05 after at most 3 failed
reads. A *failed read* is a training task that read the case and was judged a failure (what
the policy learns from); mu is the case's probability under the pass's own soft policy in the
retrieve node's candidates (`RetrievedCase.probability`: train mode's holds the exploration
bonus, eval mode's does not), in training and evaluation passes alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MU_LOW = 0.05
MAX_FAILED_READS = 3
KEPT_EVENTS = 24


@dataclass
class PlantedWatch:
    """Watches the planted cases of one run (ids set when they are written)."""

    ids: set[str] = field(default_factory=set)
    events: dict[str, list[tuple[int, str, float, bool, bool]]] = field(default_factory=dict)

    def see(
        self,
        round_: int,
        phase: str,
        candidates: Iterable[Mapping[str, Any]],
        read: set[str],
        failed: bool,
    ) -> None:
        """One retrieval: each planted candidate's mu, whether it was read, whether the task
        failed (counted as a failed read in training passes only)."""
        for case in candidates:
            if case["case_id"] in self.ids:
                was_read = case["case_id"] in read
                trace = self.events.setdefault(case["case_id"], [])
                trace.append((round_, phase, case["probability"], was_read, failed))

    def report(self) -> list[dict[str, Any]]:
        """Per planted case that was ever a candidate: reads, failed reads, and how many failed
        reads it took before mu stayed below MU_LOW (None: it never did)."""
        return [_case_report(trace) for trace in self.events.values()]


def _case_report(trace: list[tuple[int, str, float, bool, bool]]) -> dict[str, Any]:
    failed_so_far, failed_before, settled = 0, [], None
    for _, phase, _, was_read, failed in trace:
        failed_before.append(failed_so_far)
        failed_so_far += int(was_read and failed and phase == "train")
    for i in range(len(trace) - 1, -1, -1):  # the start of the final run of low mu
        if trace[i][2] >= MU_LOW:
            break
        settled = failed_before[i]
    high_after = sum(
        e[2] >= MU_LOW and before >= MAX_FAILED_READS
        for e, before in zip(trace, failed_before, strict=True)
    )
    return {
        "appearances": len(trace),
        "reads": sum(e[3] for e in trace),
        "failed_reads": failed_so_far,
        "failed_reads_to_low_mu": settled,
        "high_mu_after_limit": high_after,
        "max_mu": round(max(e[2] for e in trace), 4),
        "mu": [round(e[2], 4) for e in trace[:KEPT_EVENTS]],
        "read": [e[3] for e in trace[:KEPT_EVENTS]],
    }


def planted_check(reports: list[dict[str, Any]]) -> tuple[str, bool]:
    """The criterion over every planted case of a rule's runs: once a case has had
    MAX_FAILED_READS failed reads, every later appearance at mu < MU_LOW (a case never shown
    counts as met). A case with fewer failed reads whose mu is still higher is counted apart,
    as pending: it has not yet had the reads the criterion allows it."""
    if not reports:
        return "no planted case was ever a candidate", True
    late = sum(_high_after_limit(r) > 0 for r in reports)
    settled = [r["failed_reads_to_low_mu"] for r in reports]
    pending = sum(
        s is None and not _high_after_limit(r) for s, r in zip(settled, reports, strict=True)
    )
    worst = max((s for s in settled if s is not None), default=0)
    text = (
        f"planted cases: {len(reports) - late}/{len(reports)} at mu < {MU_LOW} once they had "
        f"{MAX_FAILED_READS} failed reads ({late} above it after; {pending} pending: fewer "
        f"failed reads and mu still >= {MU_LOW}; most failed reads before settling {worst}; "
        f"most reads of one case {max(r['reads'] for r in reports)}, highest mu "
        f"{max(r['max_mu'] for r in reports):.3f})"
    )
    return text, late == 0


def _high_after_limit(report: dict[str, Any]) -> int:
    """Appearances at mu >= MU_LOW after MAX_FAILED_READS failed reads. A report written before
    the count was kept (the candidates' summaries of 2026-12-07) is judged as then: a case whose
    mu did not stay low from at most MAX_FAILED_READS failed reads on counts as one."""
    if "high_mu_after_limit" in report:
        return report["high_mu_after_limit"]
    settled = report["failed_reads_to_low_mu"]
    return int(settled is None or settled > MAX_FAILED_READS)
