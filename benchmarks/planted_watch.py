"""What the policy did with planted cases: mu at every retrieval where one was a candidate.

Issue 25 asks that a planted wrong "success" be shown with mu < 0.05 after at most 3 failed
reads. A *failed read* is a training task that read the case and was judged a failure (what
the policy learns from); mu is the case's probability under the pass's own soft policy in the
retrieve node's candidates (`RetrievedCase.probability`: train mode's holds the exploration
bonus, eval mode's does not), in training and evaluation passes alike. A failed read counts
every failed training task that read the case; `credited` keeps what the bank credited it
(followed credit: only the runs that followed it), so the two can be told apart, and the report
counts the criterion both ways (`credited_failed_reads`: the failed reads whose run the bank
credited to the case). `trace_lines` prints them read by read (`python -m
benchmarks.planted_trace`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from memory import CaseBank

MU_LOW = 0.05
MAX_FAILED_READS = 3
KEPT_EVENTS = 24


class Seen(NamedTuple):
    """One retrieval where a planted case was a candidate."""

    round_: int
    phase: str
    mu: float
    read: bool
    failed: bool
    similarity: float | None = None
    q: float | None = None
    run_id: str = ""


@dataclass
class PlantedWatch:
    """Watches the planted cases of one run (ids set when they are written)."""

    ids: set[str] = field(default_factory=set)
    events: dict[str, list[Seen]] = field(default_factory=dict)
    credited: dict[str, list[float]] = field(default_factory=dict)
    credited_runs: dict[str, set[str]] = field(default_factory=dict)

    def see(
        self,
        round_: int,
        phase: str,
        candidates: Iterable[Mapping[str, Any]],
        read: set[str],
        failed: bool,
        run_id: str = "",
    ) -> None:
        """One retrieval: each planted candidate's mu, whether it was read, whether the task
        failed (counted as a failed read in training passes only), and the task's run."""
        for case in candidates:
            if case["case_id"] in self.ids:
                seen = Seen(
                    round_,
                    phase,
                    case["probability"],
                    case["case_id"] in read,
                    failed,
                    case.get("similarity"),
                    case.get("q"),
                    run_id,
                )
                self.events.setdefault(case["case_id"], []).append(seen)

    def note_credit(self, bank: CaseBank) -> None:
        """What the bank credited each planted case, oldest first, and the runs it credited
        it to: read before it closes."""
        for case_id in self.events:
            visits = bank.list_visits(case_id=case_id)
            self.credited[case_id] = [v.target for v in visits]
            self.credited_runs[case_id] = {v.run_id for v in visits if v.run_id}

    def report(self) -> list[dict[str, Any]]:
        """Per planted case that was ever a candidate: reads, failed reads, and how many failed
        reads it took before mu stayed below MU_LOW (None: it never did)."""
        return [
            {
                **_case_report(trace, self.credited_runs.get(case_id, set())),
                "credited": self.credited.get(case_id, []),
            }
            for case_id, trace in self.events.items()
        ]


def _case_report(trace: list[Seen], credited_runs: AbstractSet[str]) -> dict[str, Any]:
    failed_before = _failed_before(trace)
    credited_before = _failed_before(trace, credited_runs)
    settled = None
    for i in range(len(trace) - 1, -1, -1):  # the start of the final run of low mu
        if trace[i].mu >= MU_LOW:
            break
        settled = failed_before[i]
    return {
        "appearances": len(trace),
        "reads": sum(e.read for e in trace),
        "failed_reads": failed_before[-1] + _is_failed_read(trace[-1]),
        "credited_failed_reads": credited_before[-1] + _is_failed_read(trace[-1], credited_runs),
        "high_mu_after_credited_limit": _high_after(trace, credited_before),
        "failed_reads_to_low_mu": settled,
        "high_mu_after_limit": _high_after(trace, failed_before),
        "max_mu": round(max(e.mu for e in trace), 4),
        "mu": [round(e.mu, 4) for e in trace[:KEPT_EVENTS]],
        "read": [e.read for e in trace[:KEPT_EVENTS]],
    }


def _high_after(trace: list[Seen], failed_before: list[int]) -> int:
    """Appearances at mu >= MU_LOW once the case had had MAX_FAILED_READS failed reads."""
    return sum(
        e.mu >= MU_LOW and before >= MAX_FAILED_READS
        for e, before in zip(trace, failed_before, strict=True)
    )


def _is_failed_read(seen: Seen, credited_runs: AbstractSet[str] | None = None) -> int:
    """1 for a failed training read (with `credited_runs`: only one the bank credited)."""
    credited = credited_runs is None or seen.run_id in credited_runs
    return int(seen.read and seen.failed and seen.phase == "train" and credited)


def _failed_before(trace: list[Seen], credited_runs: AbstractSet[str] | None = None) -> list[int]:
    """Per appearance, the failed reads (credited ones only, with `credited_runs`) the case
    had had before it."""
    counts, so_far = [], 0
    for seen in trace:
        counts.append(so_far)
        so_far += _is_failed_read(seen, credited_runs)
    return counts


def planted_check(reports: list[dict[str, Any]]) -> tuple[str, bool]:
    """The criterion over every planted case of a rule's runs: once a case has had
    MAX_FAILED_READS failed reads, every later appearance at mu < MU_LOW (a case never shown
    counts as met). A case with fewer failed reads whose mu is still higher is counted apart,
    as pending: it has not yet had the reads the criterion allows it. The text also says how
    many would be late counting only the failed reads the bank credited to the case (followed
    credit blames a failure on the cases the run followed, not on every case it was shown);
    the verdict is the criterion's own count."""
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
    if all("high_mu_after_credited_limit" in r for r in reports):
        late_credited = sum(r["high_mu_after_credited_limit"] > 0 for r in reports)
        text += f"; counting only credited failed reads, {late_credited} above it after"
    return text, late == 0


def _high_after_limit(report: dict[str, Any]) -> int:
    """Appearances at mu >= MU_LOW after MAX_FAILED_READS failed reads. A report written before
    the count was kept (the candidates' summaries of 2026-12-07) is judged as then: a case whose
    mu did not stay low from at most MAX_FAILED_READS failed reads on counts as one."""
    if "high_mu_after_limit" in report:
        return report["high_mu_after_limit"]
    settled = report["failed_reads_to_low_mu"]
    return int(settled is None or settled > MAX_FAILED_READS)


def trace_lines(watch: PlantedWatch, everything: bool = False) -> list[str]:
    """Each planted case above the limit (or every one), read by read: round, pass, mu,
    similarity, the score's Q, whether it was read, whether the bank credited that read to it,
    whether the task failed, the failed reads so far; after the case's header, which gives
    what the bank credited it."""
    lines = []
    for case_id, trace in watch.events.items():
        credited_runs = watch.credited_runs.get(case_id, set())
        report = _case_report(trace, credited_runs)
        if not everything and not report["high_mu_after_limit"]:
            continue
        lines.append(
            f"case {case_id}: {report['reads']} reads, {report['failed_reads']} failed; "
            f"credited {watch.credited.get(case_id, [])}"
        )
        for seen, before in zip(trace, _failed_before(trace), strict=True):
            if seen.read or seen.mu >= MU_LOW:
                late = " *" if seen.mu >= MU_LOW and before >= MAX_FAILED_READS else ""
                credited = int(seen.read and seen.run_id in credited_runs)
                lines.append(
                    f"  round {seen.round_} {seen.phase:9s} mu {seen.mu:.3f} sim "
                    f"{seen.similarity or 0:.3f} Q {seen.q or 0:.3f} read {int(seen.read)} "
                    f"credited {credited} failed {int(seen.failed)} failed reads before "
                    f"{before}{late}"
                )
    return lines
