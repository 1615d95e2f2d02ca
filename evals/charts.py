"""The report's charts, drawn by matplotlib: learning curves, the reward of the cases written,
and Q against reward.

What each chart owes its reader: integer ticks where the axis counts (rounds, cases), axis
titles that say what a point is (a case's reward, or the mean of a stated number of cases), a
baseline drawn above the curves and inside the axes (never hidden under a line at 0), points
as points where there is no order to join, and every memory mode on one chart with a legend.

matplotlib is the `eval` extra and is imported only when a chart is drawn (`available()` says
whether it can be): a command's start-up never pays for it. Figures are built with the
object-oriented API (no pyplot state), so a report can be drawn in a worker thread.
"""

from __future__ import annotations

import importlib.util
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from evals.svg_figure import Chart, Marked, Point, inline_svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes

INSTALL_HINT = "charts need matplotlib (the eval extra): pip install matplotlib"
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text, in a local sans-serif: nothing to download
    "svg.hashsalt": "memento",  # the same chart, the same SVG
    "text.parse_math": False,  # a "$" in a label is a dollar, not mathtext
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e8e8e8",
    "legend.frameon": False,
}
SIZE = (5.2, 3.7)
"""Inches: two charts side by side fit the page's width."""
COLOURS = {"none": "#4d4d4d", "similarity": "#ff7f0e", "kernel": "#1f77b4", "parametric": "#9467bd"}
OTHERS = ("#8c564b", "#17becf", "#e377c2", "#bcbd22")
GOOD, BAD = "#2ca02c", "#d62728"
OUTCOMES = (("right", True, GOOD), ("wrong", False, BAD))
"""A case is drawn green when it succeeded (reward >= 0.5), red when it did not."""
LEGEND_CHARS = 72
"""About the characters a legend's row holds across a chart (entries are spread evenly)."""
CASE_POINTS = 400
"""Up to this many cases, the history chart shows each case; past it, the means of batches."""


def available() -> bool:
    """Whether matplotlib is installed (without importing it)."""
    return importlib.util.find_spec("matplotlib") is not None


@contextmanager
def style() -> Iterator[None]:
    """The charts' settings, for building a figure and for saving it."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def svg(build: Callable[..., Chart], chart_id: str, *args: Any) -> str:
    """`build(*args)` drawn in the charts' style, as inline SVG (see `evals.svg_figure`)."""
    with style():
        return inline_svg(build(*args), chart_id)


def colour(series: str, index: int = 0) -> str:
    return COLOURS.get(series) or OTHERS[index % len(OTHERS)]


def _axes(title: str, x_label: str, y_label: str) -> tuple[Chart, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    return Chart(figure, title), axes


def _legend(chart: Chart, axes: Axes) -> None:
    """The legend under the axes, outside them: it never hides a point."""
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        columns = max(1, LEGEND_CHARS // (max(len(label) for label in labels) + 6))
        chart.figure.legend(handles, labels, loc="outside lower center", ncols=columns)


def _integer_ticks(axes: Axes, low: float, high: float) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=1))
    pad = max(0.3, (high - low) * 0.04)
    axes.set_xlim(low - pad, high + pad)


def learning_chart(rows: Sequence[Mapping[str, Any]], phase: str, title: str) -> Chart:
    """Accuracy per round, one curve per memory mode; memory "none" (measured once) is a
    dashed baseline across every round, drawn above the curves."""
    by_memory: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for row in rows:
        if row["accuracy"] is not None:
            by_memory[str(row["memory"])].append((int(row["round"]), float(row["accuracy"])))
    chart, axes = _axes(title, "round", f"accuracy ({phase} phase)")
    rounds = sorted({r for points in by_memory.values() for r, _ in points}) or [0]
    order = sorted(by_memory, key=lambda m: (list(COLOURS).index(m) if m in COLOURS else 9, m))
    for index, memory in enumerate(order):
        points = by_memory[memory]
        points.sort()
        xs, ys = [r for r, _ in points], [a for _, a in points]
        line = colour(memory, index)
        gid = f"series-{index}"
        if memory == "none":  # learns nothing: its one measurement holds for every round
            axes.axhline(ys[0], color=line, linestyle="--", linewidth=2, zorder=4, gid=f"{gid}-b")
            chart.baselines.append(f"{gid}-b")
            label = "none (baseline: measured once)"
            axes.plot(xs, ys, "o", color=line, zorder=5, label=label, gid=gid)
        else:
            axes.plot(xs, ys, "-o", color=line, linewidth=2, zorder=3, label=memory, gid=gid)
        marked = [Point(x, y, f"{memory}, round {x}: accuracy {y:.3f}") for x, y in points]
        chart.marked.append(Marked(gid, memory, marked))
    axes.set_ylim(-0.05, 1.05)  # a curve or a baseline at 0 or 1 stays inside the axes
    axes.set_yticks([0, 0.25, 0.5, 0.75, 1])
    _integer_ticks(axes, rounds[0], rounds[-1])
    _legend(chart, axes)
    return chart


def history_chart(rewards: Sequence[float]) -> Chart:
    """The reward of the cases written, oldest first: each case as a point (green right, red
    wrong) with the mean of the last cases as a line; a long history as means of batches, so
    the axis title says a mean of how many."""
    count = len(rewards)
    if count > CASE_POINTS:
        return _batch_history(rewards)
    chart, axes = _axes(
        "Reward of each case written", "cases written, oldest first", "reward (1 = right)"
    )
    for name, right, tint in OUTCOMES:
        gid = f"cases-{name}"
        chosen = [(i, r) for i, r in enumerate(rewards, start=1) if (r >= 0.5) == right]
        if chosen:
            xs, ys = zip(*chosen, strict=True)
            axes.scatter(xs, ys, s=20, color=tint, zorder=3, label=f"a case, {name}", gid=gid)
            points = [Point(x, y, f"case {x} of {count}: reward {y:.2f}") for x, y in chosen]
            chart.marked.append(Marked(gid, name, points))
    window = max(3, math.ceil(count / 10))
    if count > window:
        ends = range(window, count + 1)  # a mean of `window` cases from the first full window
        means = [sum(rewards[end - window : end]) / window for end in ends]
        label = f"mean of the last {window} cases"
        axes.plot(ends, means, color="#1f77b4", linewidth=2, label=label)
    axes.set_ylim(-0.08, 1.08)
    axes.set_yticks([0, 0.5, 1])
    _integer_ticks(axes, 1, max(count, 1))
    _legend(chart, axes)
    return chart


def _batch_history(rewards: Sequence[float]) -> Chart:
    size = math.ceil(len(rewards) / (CASE_POINTS // 4))
    batches = [rewards[start : start + size] for start in range(0, len(rewards), size)]
    xs = [min(len(rewards), (i + 1) * size) for i in range(len(batches))]
    ys = [sum(batch) / len(batch) for batch in batches]
    chart, axes = _axes(
        f"Mean reward of the cases written, {size} at a time",
        "cases written, oldest first",
        f"mean reward of each {size} cases",
    )
    axes.plot(xs, ys, "-o", markersize=3, color="#1f77b4", linewidth=1.5, gid="batches")
    points = [
        Point(x, y, f"cases {x - size + 1}-{x}: mean reward {y:.3f}")
        for x, y in zip(xs, ys, strict=True)
    ]
    chart.marked.append(Marked("batches", "batches", points))
    axes.set_ylim(-0.05, 1.05)
    _integer_ticks(axes, xs[0], xs[-1])
    return chart


def q_chart(cases: Sequence[tuple[float, float, str]]) -> Chart:
    """Each case's Q at its own question (y) against its reward (x): a scatter, spread
    sideways so that cases with the same reward do not hide each other, with Q = 0 drawn."""
    chart, axes = _axes(
        "Q of each case at its own question, against its reward",
        "the case's reward (points spread sideways to show each case)",
        "Q at its own question",
    )
    axes.axhline(0, color="#4d4d4d", linewidth=1.6, linestyle="--", zorder=2, gid="q-zero")
    chart.baselines.append("q-zero")
    for name, right, tint in OUTCOMES:
        gid = f"q-{name}"
        chosen = [(r, q, label) for r, q, label in cases if (r >= 0.5) == right]
        if not chosen:
            continue
        spread = [r + 0.08 * ((i * 0.618034) % 1 - 0.5) for i, (r, _, _) in enumerate(chosen)]
        ys = [q for _, q, _ in chosen]
        axes.scatter(
            spread,
            ys,
            s=24,
            color=tint,
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
            label=f"a case, {name}",
            gid=gid,
        )
        points = [Point(r, q, label) for r, q, label in chosen]
        chart.marked.append(Marked(gid, name, points))
    values = [q for _, q, _ in cases] or [0.0]
    low, high = min(min(values), 0.0), max(max(values), 0.0)
    pad = max(0.1, (high - low) * 0.08)
    axes.set_ylim(low - pad, high + pad)
    axes.set_xlim(-0.2, 1.2)
    axes.set_xticks([0, 0.5, 1])
    _legend(chart, axes)
    return chart
