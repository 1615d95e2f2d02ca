"""A matplotlib figure as inline SVG for a report page that allows no script and no fetch.

matplotlib draws (axes, ticks, legends, text); this module makes its SVG fit a self-contained
HTML page: text stays text (`svg.fonttype: none`, a local sans-serif, nothing to download), the
XML prolog, the metadata and anything that could run or fetch (`script`, `foreignObject`, a
reference that is not to the figure itself) are removed, every id is prefixed so several figures
share a page, and each data point the caller marked becomes hoverable and countable: its
`<use>` gets `class="point"`, `data-series`, `data-x`, `data-y` and a `<title>` (the tooltip).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
HREF = f"{{{XLINK}}}href"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)
UNSAFE = {f"{{{SVG}}}script", f"{{{SVG}}}foreignObject", f"{{{SVG}}}metadata"}
_URL = re.compile(r"url\(#([^)]+)\)")


@dataclass(frozen=True)
class Point:
    """One data point as the page shows it on hover."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Marked:
    """The points of one artist (by its matplotlib `gid`), in the order they were drawn."""

    gid: str
    series: str
    points: Sequence[Point]


@dataclass
class Chart:
    """A figure and what the page needs to know about it."""

    figure: Figure
    title: str
    marked: list[Marked] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)
    """gids of lines drawn as a baseline (their path gets `class="baseline"`)."""


def inline_svg(chart: Chart, chart_id: str) -> str:
    """The chart as an `<svg class="chart">` element with ids prefixed by `chart_id`."""
    buffer = io.StringIO()
    chart.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    root = ET.fromstring(buffer.getvalue())
    _drop_unsafe(root)
    groups = {g.get("id"): g for g in root.iter(f"{{{SVG}}}g") if g.get("id")}
    for marked in chart.marked:
        _annotate(groups[marked.gid], marked)
    for gid in chart.baselines:
        for path in groups[gid].iter(f"{{{SVG}}}path"):
            path.set("class", "baseline")
    _prefix_ids(root, chart_id)
    root.set("class", "chart")
    root.set("role", "img")
    root.set("aria-label", chart.title)
    title = ET.Element(f"{{{SVG}}}title")
    title.text = chart.title
    root.insert(0, title)
    return ET.tostring(root, encoding="unicode")


def _drop_unsafe(root: ET.Element) -> None:
    """Remove what could run or fetch; a reference must point into the figure itself."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in UNSAFE:
                parent.remove(child)
    for element in root.iter():
        href = element.get(HREF) or element.get("href")
        if href is not None and not href.startswith("#"):
            raise ValueError(f"a chart refers outside itself: {href!r}")


def _annotate(group: ET.Element, marked: Marked) -> None:
    """Give the group's markers, in drawing order, their points' data and tooltips."""
    markers = list(group.iter(f"{{{SVG}}}use"))
    if len(markers) != len(marked.points):
        raise ValueError(
            f"{marked.gid}: {len(markers)} markers drawn for {len(marked.points)} points"
        )
    for marker, point in zip(markers, marked.points, strict=True):
        marker.set("class", "point")
        marker.set("data-series", marked.series)
        marker.set("data-x", f"{point.x:g}")
        marker.set("data-y", f"{point.y:g}")
        tooltip = ET.SubElement(marker, f"{{{SVG}}}title")
        tooltip.text = point.label


def _prefix_ids(root: ET.Element, prefix: str) -> None:
    """`prefix-` before every id and every reference to one, so figures on one page never
    share an id (matplotlib names its groups figure_1, axes_1, ... in every figure)."""
    for element in root.iter():
        if (ident := element.get("id")) is not None:
            element.set("id", f"{prefix}-{ident}")
        href = element.get(HREF)
        if href is not None:
            element.set(HREF, f"#{prefix}-{href[1:]}")
        for name in ("clip-path", "mask", "filter", "style"):
            value = element.get(name)
            if value and "url(#" in value:
                element.set(name, _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
