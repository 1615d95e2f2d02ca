"""Summaries of an evaluation: a table per memory mode and round, token totals, a PNG curve."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from evals import charts
from evals.results import Phase, ResultsLog, TaskResult, accuracy


def measured_phase(results: list[TaskResult]) -> Phase:
    """The phase whose accuracy a round reports: eval when held-out tasks exist, else train."""
    return "eval" if any(r.phase == "eval" for r in results) else "train"


def summarize(log: ResultsLog) -> dict[str, object]:
    """Accuracy per memory mode and round (on the measured phase), with counts and tokens."""
    results = list(log)
    phase = measured_phase(results)
    groups: dict[tuple[str, int], list[TaskResult]] = defaultdict(list)
    for result in results:
        if result.phase == phase:
            groups[(result.memory, result.round)].append(result)
    rows = []
    for (memory, round_), group in sorted(groups.items()):
        acc, judged, unjudged = accuracy(group)
        rows.append(
            {
                "memory": memory,
                "round": round_,
                "accuracy": acc,
                "judged": judged,
                "unjudged": unjudged,
                "errors": sum(r.error is not None and r.reward is None for r in group),
            }
        )
    return {
        "protocol": "held-out" if phase == "eval" else "same-questions (paper protocol)",
        "measured_phase": phase,
        "rows": rows,
        "input_tokens": sum(r.input_tokens for r in results),
        "output_tokens": sum(r.output_tokens for r in results),
        "tasks_run": len(results),
        "cases_written": sum(r.case_written for r in results),
    }


def format_table(summary: dict[str, object]) -> str:
    """A Markdown table of the summary, with the protocol named above it."""
    lines = [
        f"Protocol: {summary['protocol']}; accuracy of the {summary['measured_phase']} phase "
        "(unjudged tasks are not counted as wrong).",
        "",
        "| memory | round | accuracy | judged | unjudged | errors |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary["rows"]:  # type: ignore[attr-defined]
        acc = "n/a" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        lines.append(
            f"| {row['memory']} | {row['round']} | {acc} | {row['judged']} | "
            f"{row['unjudged']} | {row['errors']} |"
        )
    lines += [
        "",
        f"Tasks run: {summary['tasks_run']}, cases written: {summary['cases_written']}, "
        f"tokens: {summary['input_tokens']} in / {summary['output_tokens']} out.",
    ]
    return "\n".join(lines)


def plot_curve(summary: dict[str, object], path: Path, title: str) -> Path | None:
    """The learning curves as a PNG, drawn like the report page's (`evals.charts`); None
    without matplotlib or without a measured round."""
    rows: list[dict] = list(summary["rows"])  # type: ignore[call-overload]
    if not charts.available() or all(row["accuracy"] is None for row in rows):
        return None
    heading = f"{title}: accuracy per round ({summary['protocol']})"
    with charts.style():
        chart = charts.learning_chart(rows, str(summary["measured_phase"]), heading)
        chart.figure.savefig(path, dpi=120)
    return path
