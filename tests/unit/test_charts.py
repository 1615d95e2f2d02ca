"""The report's charts, read as SVG: what the axes count is counted in whole numbers, titles say
what a point is, the baseline is drawn inside the axes, a scatter is points, every memory mode
shares one chart with a legend, and nothing in the SVG can run, fetch or clash with another
chart's ids. (tests/integration/test_report_browser.py looks at them on screen.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from evals import charts
from tests.browser import Element, parse

pytest.importorskip("matplotlib", reason="the charts need the eval extra")

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    {"memory": memory, "round": round_, "accuracy": accuracy}
    for memory, curve in (("kernel", [0.3, 0.5, 0.7]), ("similarity", [0.3, 0.4, 0.45]))
    for round_, accuracy in enumerate(curve)
] + [{"memory": "none", "round": 0, "accuracy": 0.0}]


def _svg(build, *args) -> Element:
    return parse(charts.svg(build, "c", *args)).find_all("svg")[0]


def _texts(svg: Element, group: str) -> list[str]:
    axis = next(g for g in svg.find_all("g") if g.attrs.get("id") == f"c-{group}")
    return [t.text.strip() for t in axis.find_all("text") if t.text.strip()]


def _tick_labels(svg: Element, axis: str) -> list[str]:
    """The tick labels of matplotlib's axis 1 (x) or 2 (y), without the axis title."""
    ticks = [
        g for g in svg.find_all("g") if re.fullmatch(rf"c-{axis}tick_\d+", g.attrs.get("id", ""))
    ]
    return [t.text.strip() for g in ticks for t in g.find_all("text")]


def _plot_area(svg: Element) -> tuple[float, float]:
    """The top and bottom of the axes' background (patch_2: the first patch of the axes)."""
    patch = next(g for g in svg.find_all("g") if g.attrs.get("id") == "c-patch_2")
    ys = [
        float(y) for y in re.findall(r"[ML] [\d.]+ ([\d.]+)", patch.find_all("path")[0].attrs["d"])
    ]
    return min(ys), max(ys)


def test_learning_curves_share_one_chart_with_a_legend_and_integer_rounds() -> None:
    svg = _svg(charts.learning_chart, ROWS, "eval", "Accuracy per round")
    assert _tick_labels(svg, "x") == ["0", "1", "2"]
    points = svg.find_all("use", "point")
    assert sorted((p.attrs["data-series"], p.attrs["data-x"]) for p in points) == sorted(
        (str(row["memory"]), str(row["round"])) for row in ROWS
    )
    legend = " ".join(_texts(svg, "legend_1"))
    assert all(name in legend for name in ("kernel", "similarity", "none (baseline"))
    labels = [t.text.strip() for t in svg.find_all("text")]
    assert "accuracy (eval phase)" in labels and "round" in labels


def test_a_baseline_at_zero_is_drawn_inside_the_axes_above_the_curves() -> None:
    svg = _svg(charts.learning_chart, ROWS, "eval", "Accuracy per round")
    (baseline,) = svg.find_all("path", "baseline")
    assert "stroke-dasharray" in baseline.attrs["style"]
    top, bottom = _plot_area(svg)
    y = float(re.findall(r"M [\d.]+ ([\d.]+)", baseline.attrs["d"])[0])
    assert top < y < bottom - 3  # not on the bottom spine, where it would hide
    groups = [g.attrs.get("id") for g in svg.find_all("g")]
    baseline_group = next(g for g in groups if g and g.endswith("-b"))
    kernel_group = next(g for g in groups if g == "c-series-1")  # drawn in mode order
    assert groups.index(baseline_group) > groups.index(kernel_group)  # drawn later: on top


def test_the_history_counts_cases_in_whole_numbers_and_titles_each_point() -> None:
    rewards = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    svg = _svg(charts.history_chart, rewards)
    assert all(label.isdigit() for label in _tick_labels(svg, "x"))
    assert "reward (1 = right)" in svg.text and "mean reward" not in svg.text
    points = svg.find_all("use", "point")
    assert sorted(int(p.attrs["data-x"]) for p in points) == list(range(1, 8))
    assert points[0].find_all("title")[0].text == "case 1 of 7: reward 1.00"


def test_a_long_history_says_a_mean_of_how_many() -> None:
    rewards = [float(i % 3 == 0) for i in range(charts.CASE_POINTS * 2)]
    svg = _svg(charts.history_chart, rewards)
    size = -(-len(rewards) // (charts.CASE_POINTS // 4))
    assert f"mean reward of each {size} cases" in svg.text
    assert all(label.isdigit() for label in _tick_labels(svg, "x"))


def test_q_against_reward_is_a_scatter_with_q_zero_drawn() -> None:
    cases = [(1.0, 0.6, "a"), (1.0, 0.55, "b"), (0.0, -0.4, "c"), (0.0, 0.1, "d")]
    svg = _svg(charts.q_chart, cases)
    points = svg.find_all("use", "point")
    assert len(points) == 4 and {p.find_all("title")[0].text for p in points} == set("abcd")
    for name in ("right", "wrong"):  # points only: no line joins them
        group = next(g for g in svg.find_all("g") if g.attrs.get("id") == f"c-q-{name}")
        drawn = [p for p in group.find_all("path") if "id" not in p.attrs]
        assert drawn == []
    assert len(svg.find_all("path", "baseline")) == 1  # Q = 0
    assert "\u22120.4" in _tick_labels(svg, "y")  # a minus sign, below the baseline


def test_the_svg_runs_nothing_fetches_nothing_and_its_ids_are_its_own() -> None:
    pages = [
        charts.svg(charts.learning_chart, "one", ROWS, "eval", "t"),
        charts.svg(charts.q_chart, "two", [(1.0, 0.5, "<script>alert(1)</script>")]),
    ]
    html = "".join(pages)
    assert "<script" not in html and "<metadata" not in html and "@font-face" not in html
    hrefs = re.findall(r'href="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    assert hrefs and all(h.startswith("#") for h in hrefs)
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert all(ref[1:] in ids for ref in hrefs)
    texts = parse(html).find_all("text")
    assert texts and all("sans-serif" in t.attrs["style"] for t in texts)  # local fonts


def test_matplotlib_is_imported_only_when_a_chart_is_drawn() -> None:
    code = (
        "import sys; from memento.cli import build_parser; build_parser(); "
        "import evals.html_report, evals.report, memento.cli.eval; "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "False", done.stderr
