"""Charts as inline SVG text, drawn in plain Python: a report needs no plotting library.

Every data point is a `<circle class="point">` with `data-series`, `data-x` and `data-y`
attributes and a `<title>` (the browser's tooltip), so a reader can hover it and a test can
count it. Every text that reaches the SVG is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
BASELINE_COLOUR = "#555555"
WIDTH, HEIGHT = 640, 340
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 150, 34, 46


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str = ""
    """The tooltip; the series name and the values when empty."""


@dataclass(frozen=True)
class Series:
    """One line (or one cloud of points) of a chart."""

    name: str
    points: Sequence[Point]
    baseline: bool = False
    """Drawn dashed across the whole x range (a mode measured once, e.g. memory "none")."""
    joined: bool = True


@dataclass(frozen=True)
class Axes:
    """Maps data to pixels inside the plot area."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def px(self, x: float) -> float:
        low, high = self.x_range
        span = (high - low) or 1.0
        return MARGIN_LEFT + (x - low) / span * (WIDTH - MARGIN_LEFT - MARGIN_RIGHT)

    def py(self, y: float) -> float:
        low, high = self.y_range
        span = (high - low) or 1.0
        return HEIGHT - MARGIN_BOTTOM - (y - low) / span * (HEIGHT - MARGIN_TOP - MARGIN_BOTTOM)


def chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] = (0.0, 1.0),
    x_ticks: Sequence[float] | None = None,
) -> str:
    """An SVG chart of the series: lines with markers, or points alone (`joined=False`)."""
    xs = [p.x for s in series for p in s.points]
    x_range = (min(xs), max(xs)) if xs else (0.0, 1.0)
    axes = Axes(x_range, y_range)
    ticks = list(x_ticks) if x_ticks is not None else _ticks(*x_range)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{WIDTH / 2:.0f}" y="18" text-anchor="middle" class="chart-title">'
        f"{escape(title)}</text>",
        *_frame(axes, ticks, x_label, y_label),
    ]
    for index, one in enumerate(series):
        colour = BASELINE_COLOUR if one.baseline else PALETTE[index % len(PALETTE)]
        parts += _series(axes, one, colour)
        parts.append(_legend_entry(index, one, colour))
    parts.append("</svg>")
    return "\n".join(parts)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / count
    return [low + i * step for i in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _frame(axes: Axes, x_ticks: Sequence[float], x_label: str, y_label: str) -> list[str]:
    """Axes, grid lines, tick labels and axis titles."""
    left, right = axes.px(axes.x_range[0]), WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    parts = [
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        'class="plot-area"/>'
    ]
    low, high = axes.y_range
    for i in range(5):
        y = low + (high - low) * i / 4
        py = axes.py(y)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{py:.1f}" y2="{py:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{y:.2f}</text>')
    for x in x_ticks:
        px = axes.px(x)
        parts.append(
            f'<text x="{px:.1f}" y="{bottom + 16}" text-anchor="middle">{_number(x)}</text>'
        )
    parts.append(
        f'<text x="{(left + right) / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    middle = (top + bottom) / 2
    parts.append(
        f'<text transform="translate(14 {middle:.0f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    return parts


def _series(axes: Axes, series: Series, colour: str) -> list[str]:
    name = escape(series.name)
    parts = [f'<g class="series" data-series="{name}">']
    coords = [(axes.px(p.x), axes.py(p.y)) for p in series.points]
    if series.baseline and coords:
        y = coords[0][1]
        x1, x2 = axes.px(axes.x_range[0]), axes.px(axes.x_range[1])
        parts.append(
            f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" '
            'stroke-dasharray="6 4" class="baseline"/>'
        )
    elif series.joined and len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for point, (x, y) in zip(series.points, coords, strict=True):
        tip = point.label or f"{series.name}: x={_number(point.x)}, y={point.y:.3f}"
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" '
            f'data-series="{name}" data-x="{point.x}" data-y="{point.y}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    parts.append("</g>")
    return parts


def _legend_entry(index: int, series: Series, colour: str) -> str:
    x, y = WIDTH - MARGIN_RIGHT + 14, MARGIN_TOP + 8 + index * 20
    dash = ' stroke-dasharray="6 4"' if series.baseline else ""
    name = series.name + (" (baseline)" if series.baseline else "")
    return (
        f'<g class="legend"><line x1="{x}" x2="{x + 22}" y1="{y}" y2="{y}" stroke="{colour}" '
        f'stroke-width="2"{dash}/><text x="{x + 28}" y="{y + 4}">{escape(name[:18])}</text></g>'
    )
