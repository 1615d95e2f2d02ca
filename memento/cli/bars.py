"""Progress bars for long commands: tqdm's bar on a terminal, plain lines in a log.

On a terminal a bar redraws in place with the count, the rate and the time left. Written to a
file or a pipe (CI logs, `2> log`), redraws would be noise, so the same figures come as whole
lines instead: the first, then at most one every `interval` seconds, then the last. Bars go to
standard error, so what a command prints on standard output stays clean for pipes.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

LINE_INTERVAL_S = 10.0
"""Seconds between two plain progress lines (off a terminal)."""

ProgressCallback = Callable[[int, int], None]
"""`on_progress(done, total)`: what work that counts its own steps reports."""

_LINE_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}, {rate_fmt}]{postfix}"
_OPEN_LINE_FORMAT = "{desc}: {n_fmt} {unit} [{elapsed}, {rate_fmt}]{postfix}"


class _LineBar(tqdm):
    """tqdm with each display written as one whole line (tqdm's documented way to change where
    a bar is shown is to override `display`); a line that says nothing new is not repeated."""

    def __init__(self, *args: Any, out: TextIO, **kwargs: Any) -> None:
        self._out = out
        self._last_shown: tuple[int, str] | None = None
        super().__init__(*args, file=io.StringIO(), **kwargs)  # tqdm's own writes go nowhere

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        figures = self.format_dict
        shown = (figures["n"], str(figures.get("postfix") or ""))
        if shown != self._last_shown:
            self._last_shown = shown
            print(self.format_meter(**figures), file=self._out, flush=True)
        return True


def progress_bar(
    label: str,
    total: int | None,
    *,
    unit: str = "it",
    initial: int = 0,
    stream: TextIO | None = None,
    interval: float = LINE_INTERVAL_S,
) -> tqdm:
    """A bar counting `unit`s up to `total` (None: unknown), to use as `with progress_bar(...) as
    bar: ... bar.update()`. `initial` counts work done before (a resumed run), which the rate
    leaves out."""
    out = stream if stream is not None else sys.stderr
    if out.isatty():
        # A terminal that reports no size (`script`, some CI pseudo-terminals) would get no
        # bar at all from tqdm: it is then drawn at $COLUMNS x $LINES or 80 x 24, without
        # following resizes.
        sized = _sized(out)
        fallback = shutil.get_terminal_size()
        return tqdm(
            total=total,
            desc=label,
            unit=unit,
            initial=initial,
            file=out,
            dynamic_ncols=sized,
            ncols=None if sized else fallback.columns,
            nrows=None if sized else fallback.lines,
        )
    return _LineBar(
        total=total,
        desc=label,
        unit=unit,
        initial=initial,
        out=out,
        mininterval=interval,
        bar_format=_LINE_FORMAT if total is not None else _OPEN_LINE_FORMAT,
    )


def _sized(out: TextIO) -> bool:
    """Whether the terminal reports its width and height."""
    try:
        size = os.get_terminal_size(out.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    return size.columns > 0 and size.lines > 0


@contextmanager
def progress_callback(
    label: str,
    *,
    unit: str = "it",
    stream: TextIO | None = None,
    interval: float = LINE_INTERVAL_S,
) -> Iterator[ProgressCallback]:
    """An `on_progress(done, total)` callback that draws a bar, for work that reports its own
    progress (import, export, prune). The bar opens at the first report, once the total is
    known, and is closed when the block ends."""
    bars: list[tqdm] = []

    def on_progress(done: int, total: int) -> None:
        if not bars:
            bars.append(progress_bar(label, total, unit=unit, stream=stream, interval=interval))
        bar = bars[0]
        if done < bar.n:  # a step in phases reports each from the start: one bar, restarted
            bar.reset(total=total)
        elif bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield on_progress
    finally:
        for bar in bars:
            bar.close()
