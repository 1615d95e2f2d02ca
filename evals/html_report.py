"""One self-contained HTML page of an evaluation or a bank, readable offline.

Learning curves per memory mode (the "none" baseline dashed), accuracy per round, each bank's
cases with their reward and Q, and the trajectories of a run. Figures are drawn by matplotlib
and inlined as SVG (`evals.charts`; without matplotlib the page says so and keeps its tables),
style is inline CSS, and there is no script at all: the page's Content Security Policy forbids
scripts and every fetch, so a hostile text that escaped escaping could still neither run nor
call out, and a browser logs any attempt as a console error.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evals import charts
from evals.html_parts import details, number, steps, table, text
from evals.report_data import BankView, CaseRow
from evals.results import TaskResult

CONTENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
TRAJECTORIES_PER_MODE = 50
NEGATIVE_Q = (
    "With contrastive credit Q is E[reward | the case read] − E[reward | the case a candidate "
    "left unread], from −1 to 1: a Q below 0 means the runs that read the case did worse than "
    "the runs that left it unread; 0 means no difference yet (or no visits)."
)

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;word-break:break-word;background:#f8f8f8;padding:4px;margin:2px 0}
summary{cursor:pointer}.muted{color:#777}.bad{color:#b00}.good{color:#070}
svg.chart{max-width:100%;height:auto;margin:.5em 1em .5em 0}
.figures{display:flex;flex-wrap:wrap}
"""


@dataclass
class Report:
    """What one page shows; each part is optional (a bank alone has no learning curve)."""

    title: str
    summary: dict[str, object] | None = None
    results: Sequence[TaskResult] = ()
    banks: Sequence[BankView] = field(default_factory=list)
    generated_at: float = field(default_factory=time.time)


def render(report: Report) -> str:
    """The page as one HTML string."""
    when = dt.datetime.fromtimestamp(report.generated_at).isoformat(timespec="seconds")
    sections = [f"<h1>{text(report.title)}</h1>", f'<p class="muted">Written {text(when)}.</p>']
    if report.summary is not None:
        sections.append(_learning(report.summary))
    sections += [_bank(view, index) for index, view in enumerate(report.banks)]
    if report.results:
        sections.append(_trajectories(report.results, report.summary))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">\n'
        f"<title>{text(report.title)}</title>\n<style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def write(report: Report, path: Path) -> Path:
    """Write the page atomically (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(report), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _rows(summary: dict[str, object]) -> list[dict]:
    return list(summary.get("rows") or [])  # type: ignore[call-overload]


Drawing = tuple[Callable[..., charts.Chart], str, tuple[object, ...]]
"""A chart to draw: its builder, its id on the page, the builder's arguments."""


def _figures(*drawn: Drawing) -> str:
    """The charts side by side, or one line saying why there are none."""
    if not charts.available():
        return f'<p class="muted no-charts">No charts: {text(charts.INSTALL_HINT)}.</p>'
    return '<div class="figures">' + "".join(charts.svg(b, i, *a) for b, i, a in drawn) + "</div>"


def _learning(summary: dict[str, object]) -> str:
    phase = summary["measured_phase"]
    title = "Accuracy per round, per memory mode"
    figure = _figures((charts.learning_chart, "learning", (_rows(summary), phase, title)))
    rows = [
        [
            text(row["memory"]),
            f'<span class="num">{text(row["round"])}</span>',
            number(row["accuracy"]),
            text(row["judged"]),
            text(row["unjudged"]),
            text(row["errors"]),
        ]
        for row in _rows(summary)
    ]
    headers = ["memory", "round", "accuracy", "judged", "unjudged", "failed to run"]
    return (
        '<section id="learning"><h2>Learning curves</h2>'
        f"<p>Protocol: {text(summary['protocol'])}; accuracy of the {text(phase)} phase "
        "(unjudged tasks are not counted as wrong). Memory “none” learns nothing: it is "
        "measured once and drawn as a dashed baseline.</p>"
        f"{figure}"
        f"<h3>Accuracy per round</h3>{table(headers, rows, css='accuracy')}"
        f"<p>Tasks run: {text(summary['tasks_run'])}, cases written: "
        f"{text(summary['cases_written'])}, tokens: {text(summary['input_tokens'])} in / "
        f"{text(summary['output_tokens'])} out.</p></section>"
    )


def _bank(view: BankView, index: int) -> str:
    drawn: list[Drawing] = [
        (charts.history_chart, f"bank{index}-history", (view.rewards_oldest_first,))
    ]
    with_q = [row for row in view.rows if row.q is not None]
    if with_q:
        points = [(row.case.reward, row.q or 0.0, _q_label(row)) for row in with_q]
        drawn.append((charts.q_chart, f"bank{index}-q", (points,)))
    negative = f" {NEGATIVE_Q}" if view.credit == "contrastive" and with_q else ""
    listed = len(view.rows)
    shown = f"the newest {listed} of {view.total}" if listed < view.total else f"all {listed}"
    headers = [
        "case",
        "question / answer / steps",
        "reward",
        "Q",
        "visits",
        "mean target",
        "attempts",
        "provenance",
        "written",
    ]
    return (
        f'<section class="bank" data-namespace="{text(view.namespace)}">'
        f"<h2>Cases of namespace {text(view.namespace)} ({text(view.retrieval)} retrieval)</h2>"
        f"<p>{text(view.total)} cases; {shown} below, newest first. Q is Q(s, c) at the case's "
        "own question, by the namespace's estimator (none with similarity retrieval); visits "
        f"count the retrievals that credited the case, with their mean target.{negative} "
        "“Written” is when the case was last written (a new attempt or a relabel), as "
        "<code>memento cases list</code> shows it.</p>"
        f"{_figures(*drawn)}"
        f"{table(headers, (_case_cells(row) for row in view.rows), css='cases')}</section>"
    )


def _case_cells(row: CaseRow) -> list[str]:
    case = row.case
    reward_css = "good" if case.succeeded else "bad"
    body = (
        f"<div><b>answer</b><pre>{text(case.answer)}</pre></div>"
        f"<p><b>plan</b></p><ol>{''.join(f'<li>{text(step)}</li>' for step in case.plan)}</ol>"
        f"<p><b>judge</b> {text(case.judge_rationale)}</p>"
        f"<p><b>steps</b> (run <code>{text(case.run_id)}</code>)</p>{steps(case.trajectory)}"
    )
    written = _when(case.updated_at)
    if _when(case.created_at) != written:
        written += f" (first {_when(case.created_at)})"
    return [
        f"<code>{text(case.id[:8])}</code>",
        details(text(case.question), body),
        f'<span class="reward {reward_css}">{number(case.reward, 2)}</span>',
        f'<span class="q">{number(row.q)}</span>',
        text(row.visits),
        number(row.mean_target),
        text(case.attempts),
        text(case.provenance),
        text(written),
    ]


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _q_label(row: CaseRow) -> str:
    return f"{row.case.question[:80]}: reward {row.case.reward:.2f}, Q {row.q:.3f}"


def _trajectories(results: Sequence[TaskResult], summary: dict[str, object] | None) -> str:
    """The tasks of each memory mode's last measured round, each with its steps."""
    phase = summary["measured_phase"] if summary else "eval"
    last: dict[str, int] = {}
    for result in results:
        if result.phase == phase:
            last[result.memory] = max(last.get(result.memory, result.round), result.round)
    parts = ['<section id="trajectories"><h2>Trajectories</h2>']
    for memory, round_ in sorted(last.items()):
        chosen = [r for r in results if (r.memory, r.round, r.phase) == (memory, round_, phase)]
        chosen.sort(key=lambda r: r.task_id)
        more = len(chosen) - TRAJECTORIES_PER_MODE
        parts.append(f"<h3>{text(memory)}, round {round_}, {text(phase)} phase</h3>")
        parts += [_task(result) for result in chosen[:TRAJECTORIES_PER_MODE]]
        if more > 0:
            parts.append(f'<p class="muted">{more} more tasks in results.jsonl</p>')
    parts.append("</section>")
    return "".join(parts)


def _task(result: TaskResult) -> str:
    if result.correct is None:
        mark = (
            '<span class="muted">unjudged</span>'
            if result.error is None
            else ('<span class="bad">failed to run</span>')
        )
    else:
        mark = '<span class="good">✓</span>' if result.correct else '<span class="bad">✗</span>'
    summary = f"{mark} {number(result.reward, 2)} {text(result.question)}"
    shown = ", ".join(f"<code>{text(i[:8])}</code>" for i in result.retrieved) or "none"
    error = f'<p class="bad">error: {text(result.error)}</p>' if result.error else ""
    body = (
        f"<div><b>answer</b><pre>{text(result.answer)}</pre></div>{error}"
        f"<p>judge {text(result.judge or '–')}; cases shown: {shown}; "
        f"{result.seconds:.1f} s; run <code>{text(result.run_id)}</code></p>"
        f"{steps(result.trajectory)}"
    )
    return f'<div class="task" data-task="{text(result.task_id)}">{details(summary, body)}</div>'
