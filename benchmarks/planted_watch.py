"""What the policy did with planted cases: mu at every retrieval where one was a candidate.

Issue 25 asks that a planted wrong "success" be shown with mu < 0.05 after at most 3 failed
reads. A *failed read* is a training task that read the case and was judged a failure (what
the policy learns from); mu is the case's probability under the soft policy in the retrieve
node's candidates (`RetrievedCase.probability`), in training and evaluation passes alike.
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
    return {
        "appearances": len(trace),
        "reads": sum(e[3] for e in trace),
        "failed_reads": failed_so_far,
        "failed_reads_to_low_mu": settled,
        "max_mu": round(max(e[2] for e in trace), 4),
        "mu": [round(e[2], 4) for e in trace[:KEPT_EVENTS]],
        "read": [e[3] for e in trace[:KEPT_EVENTS]],
    }


def planted_check(reports: list[dict[str, Any]]) -> tuple[str, bool]:
    """The criterion over every planted case of a rule's runs: mu < MU_LOW from at most
    MAX_FAILED_READS failed reads on (a case never shown counts as met)."""
    if not reports:
        return "no planted case was ever a candidate", True
    settled = [r["failed_reads_to_low_mu"] for r in reports]
    never = sum(s is None for s in settled)
    late = sum(s is not None and s > MAX_FAILED_READS for s in settled)
    worst = max((s for s in settled if s is not None), default=0)
    text = (
        f"planted cases: {len(reports) - never - late}/{len(reports)} at mu < {MU_LOW} after "
        f"<= {MAX_FAILED_READS} failed reads ({never} never, {late} later; most failed reads "
        f"before settling {worst}; most reads of one case "
        f"{max(r['reads'] for r in reports)}, highest mu {max(r['max_mu'] for r in reports):.3f})"
    )
    return text, never == 0 and late == 0
