"""The learning suite's charts and page: per world, success per round, one line per rule with
an sd band, one panel per phase (matplotlib, the `eval` extra).

Each world's chart is written as a PNG and drawn inline as SVG in one HTML page that needs
nothing beyond itself: no script, no fetched file, so it works under the CSP
`default-src 'none'; style-src 'unsafe-inline'; img-src data:`. Every text is escaped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.suite_report import rule_order

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """body{font-family:sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
td:first-child,th:first-child{text-align:left}.met{color:#176917}.missed{color:#b00020}
section{margin-top:2em}svg{max-width:100%;height:auto}pre{white-space:pre-wrap}"""


def world_figure(world: str, rules: Mapping[str, Any], labels: Sequence[str]) -> Any:
    """One figure: a panel per phase, a line (and sd band) per rule."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seen = list(dict.fromkeys(p for label in labels for p in rules.get(label, {})))
    phases = sorted(seen, key=lambda p: p != "train")  # training first, as a round runs
    order = rule_order(labels)
    figure, axes = plt.subplots(1, len(phases), figsize=(4 * len(phases) + 1.4, 3.6), sharey=True)
    lines = {}
    for axis, phase in zip(np.atleast_1d(axes), phases, strict=True):
        for index, label in enumerate(order):
            curve = rules.get(label, {}).get(phase)
            if curve is None:
                continue
            mean, sd = np.array(curve["mean"]), np.array(curve["sd"])
            x = np.arange(1, len(mean) + 1)
            style = {"off": ":", "oracle": "--"}.get(label, "-")
            color = f"C{index % 10}"  # one colour per rule in every panel
            (lines[label],) = axis.plot(x, mean, style, color=color, marker="o", markersize=3)
            axis.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.12)
            axis.set_xticks(x)
        axis.set_title(f"{world}: {phase.replace('_', '-')}")
        axis.set_xlabel("round")
        axis.set_ylim(-0.02, 1.02)
    np.atleast_1d(axes)[0].set_ylabel("success rate")
    shown = [label for label in order if label in lines]
    figure.legend([lines[label] for label in shown], shown, loc="center right", fontsize=8)
    figure.tight_layout(rect=(0, 0, 1 - 1.3 / figure.get_figwidth(), 1))
    return figure


def inline_svg(figure: Any, salt: str) -> str:
    """The figure as an `<svg>` element to put in a page (ids salted per figure, so several
    charts on one page never share one)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def write_charts(summary: Mapping[str, Any], labels: Sequence[str], folder: Path) -> dict[str, str]:
    """A PNG per world in `folder`; the same charts as inline SVG, by world."""
    import matplotlib.pyplot as plt

    svgs = {}
    for world, rules in summary.items():
        figure = world_figure(world, rules, labels)
        figure.savefig(folder / f"{_file_name(world)}.png", dpi=110)
        svgs[world] = inline_svg(figure, world)
        plt.close(figure)
    return svgs


def _file_name(world: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", world.lower())


def _markdown_table(markdown: str) -> str:
    lines = [line.strip().strip("|").split("|") for line in markdown.splitlines()]
    head, body = lines[0], lines[2:]
    cells = "".join(f"<th>{escape(c.strip())}</th>" for c in head)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(c.strip())}</td>" for c in row) + "</tr>" for row in body
    )
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>"


def page(
    title: str,
    headline: str,
    worlds: Sequence[tuple[str, str, str, str]],
    checks: Sequence[tuple[str, str, bool | None]],
    command: str,
) -> str:
    """The page: the headline table, the criteria, then per world (name, about, phase table
    in markdown, inline SVG) its chart and its table."""
    verdicts = {True: ("met", "met"), False: ("missed", "MISSED"), None: ("na", "n/a")}
    lines = "".join(
        f'<li class="{verdicts[ok][0]}">{verdicts[ok][1]}: {escape(world)}: {escape(text)}</li>'
        for world, text, ok in checks
    )
    sections = "".join(
        f'<section id="{escape(_file_name(name))}"><h2>{escape(name)}</h2><p>{escape(about)}</p>'
        f"{svg}<details><summary>mean ± sd per phase and round</summary>"
        f"{_markdown_table(table)}</details></section>"
        for name, about, table, svg in worlds
    )
    index = " · ".join(
        f'<a href="#{escape(_file_name(name))}">{escape(name)}</a>' for name, *_ in worlds
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>Eval-mode success, rounds &ge; 3 / round 1, mean over "
        f"seeds and evaluation phases.</p>{_markdown_table(headline)}"
        f"<h2>Criteria</h2><ul>{lines}</ul><p>{index}</p>{sections}"
        f"<p>Reproduce with: <code>{escape(command)}</code></p></body></html>\n"
    )
