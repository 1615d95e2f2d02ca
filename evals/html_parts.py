"""Small HTML pieces of the report: escaped text, tables, and a run's steps.

Everything shown comes from cases, answers and tool results, i.e. from models, tools and
whoever wrote a data set, so every string is escaped here, attributes included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any


def text(value: object) -> str:
    """Any value as escaped HTML text."""
    return escape(str(value), quote=True)


def number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, css: str = "") -> str:
    """A table whose cells are already HTML (escape them with `text`)."""
    head = "".join(f"<th>{text(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    css_class = f' class="{text(css)}"' if css else ""
    return f"<table{css_class}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def details(summary: str, body: str) -> str:
    """A block the reader opens: `summary` and `body` are already HTML."""
    return f"<details><summary>{summary}</summary>{body}</details>"


def steps(trajectory: Sequence[Mapping[str, Any]]) -> str:
    """A run's steps as a case or a results log keeps them: each step, its tool calls, its
    output. Records come from files, so every field is read defensively."""
    if not trajectory:
        return '<p class="muted">no steps (answered directly)</p>'
    items = []
    for step in trajectory:
        if not isinstance(step, Mapping):
            continue
        calls = step.get("tool_calls") or []
        call_items = "".join(_tool_call(call) for call in calls if isinstance(call, Mapping))
        error = step.get("error")
        outcome = f'<span class="bad">error: {text(error)}</span>' if error else ""
        items.append(
            f'<li><span class="muted">cycle {text(step.get("cycle", "?"))}</span> '
            f"{text(step.get('step', ''))}"
            f"{f'<ul>{call_items}</ul>' if call_items else ''}"
            f"<pre>{text(step.get('output', ''))}</pre>{outcome}</li>"
        )
    return f'<ol class="steps">{"".join(items)}</ol>'


def _tool_call(call: Mapping[str, Any]) -> str:
    args = json.dumps(call.get("args", {}), ensure_ascii=False, default=str)
    flag = ' <span class="bad">(error)</span>' if call.get("error") else ""
    return (
        f"<li>tool <code>{text(call.get('name', '?'))}</code>(<code>{text(args)}</code>){flag}"
        f"<pre>{text(call.get('result', ''))}</pre></li>"
    )
