"""A page's charts as a reader sees them: rendered by headless Chromium into one screenshot, cut
into one image per chart, and the colours found in each.

A DOM can hold every point of a chart that draws nothing on screen (a broken style, an SVG the
browser refuses, a figure clipped away); pixels cannot. The charts are taken from the page as
written (`<svg class="chart">`), each set in a slot of fixed height on a sheet that has the
report's own Content Security Policy and style, so each image holds one chart and nothing else.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from evals.html_report import CONTENT_POLICY, STYLE
from tests.browser import LOAD_TIMEOUT_S, chromium

SLOT_PX = 460
WIDTH_PX = 720
AXES_PX = 300
"""A chart's axes lie in its top 300 px (of 355: `evals.charts.SIZE` at 96 px an inch); the
legend lies below them, so colours counted above AXES_PX are the data's, not the legend's."""
_CHART = re.compile(r'<svg\b[^>]*\bclass="chart".*?</svg>', re.DOTALL)
RGB = tuple[int, int, int]


def charts_of(html: str) -> list[str]:
    """The page's charts, in page order."""
    return _CHART.findall(html)


def sheet(charts: list[str], path: Path) -> Path:
    """A page holding the charts one under the other, one per slot."""
    slots = "".join(f'<div class="slot">{chart}</div>' for chart in charts)
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">'
        f"<style>{STYLE}body{{margin:0;padding:0;max-width:none}}"
        f".slot{{height:{SLOT_PX}px;overflow:hidden}}</style></head>"
        f"<body>{slots}</body></html>",
        encoding="utf-8",
    )
    return path


def screenshot(page: Path, profile: Path, out: Path, height: int) -> Image.Image:
    """The page rendered at WIDTH_PX x `height`, as an RGB image."""
    command = [
        chromium(),
        "--headless",
        "--disable-gpu",
        "--no-sandbox",  # root in CI containers; the page runs no script anyway
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={WIDTH_PX},{height}",
        f"--screenshot={out}",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=LOAD_TIMEOUT_S)
    assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]
    return Image.open(out).convert("RGB")


def chart_images(charts: list[str], folder: Path) -> list[Image.Image]:
    """Each chart's axes as Chromium draws them, in an image of their own (legend left out)."""
    page = sheet(charts, folder / "charts.html")
    height = SLOT_PX * len(charts)
    shot = screenshot(page, folder / "profile", folder / "charts.png", height)
    return [
        shot.crop((0, i * SLOT_PX, WIDTH_PX, i * SLOT_PX + AXES_PX)) for i in range(len(charts))
    ]


def rgb(colour: str) -> RGB:
    """'#1f77b4' as (31, 119, 180)."""
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _matches(image: Image.Image, colour: RGB, tolerance: int) -> np.ndarray:
    """A height x width mask of the pixels with this colour (within `tolerance` per channel)."""
    pixels = np.asarray(image, dtype=np.int16)
    return (np.abs(pixels - np.array(colour, dtype=np.int16)) <= tolerance).all(axis=2)


def pixels_of(image: Image.Image, colour: RGB, tolerance: int = 12) -> int:
    """How many pixels have this colour (within `tolerance` per channel)."""
    return int(_matches(image, colour, tolerance).sum())


def widest_row(image: Image.Image, colour: RGB, tolerance: int = 12) -> int:
    """The most pixels of this colour in one row: a horizontal line shows as a wide row."""
    return int(_matches(image, colour, tolerance).sum(axis=1).max(initial=0))


def ink(image: Image.Image) -> float:
    """The share of pixels that are not (near) white: 0 for a blank chart."""
    return 1 - pixels_of(image, (255, 255, 255), tolerance=8) / (image.width * image.height)
