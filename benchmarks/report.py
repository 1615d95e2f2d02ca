"""What every benchmark prints: the command to reproduce it, figures, a summary line, JSON."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from memento.cli.bars import progress_bar

T = TypeVar("T")


def command_line() -> str:
    """The command that reproduces this run (from the repository root)."""
    module = Path(sys.argv[0]).stem
    return " ".join(["python", "-m", f"benchmarks.{module}", *map(shlex.quote, sys.argv[1:])])


def machine() -> dict[str, Any]:
    """Where the figures were taken: cores and the load average, which shifts every latency."""
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def resident_mb(field: str = "VmRSS") -> float:
    """This process's resident memory in MB: all of it (VmRSS), or its part that is private
    memory (RssAnon) or file pages mapped from the page cache (RssFile, which the OS can drop)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


UNLIMITED = 1 << 60
"""cgroup v1 writes 'no limit' as a number near 2**63."""


def memory_cgroup() -> dict[str, float] | None:
    """The memory cgroup this process runs in, when it has a limit: the limit and the most the
    cgroup has held (private memory and the page cache charged to it), in MB. A figure of RSS
    counts file pages the OS keeps mapped while memory is free; under a limit it reclaims
    them, so a run that completes under one shows what the work needs. None when unlimited."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "memory":  # cgroup v1
            folder, limit, peak = (
                Path("/sys/fs/cgroup/memory", path.lstrip("/")),
                "memory.limit_in_bytes",
                "memory.max_usage_in_bytes",
            )
        elif controllers == "":  # cgroup v2
            folder, limit, peak = (
                Path("/sys/fs/cgroup", path.lstrip("/")),
                "memory.max",
                "memory.peak",
            )
        else:
            continue
        try:
            cap = (folder / limit).read_text().strip()
            used = int((folder / peak).read_text())
        except (OSError, ValueError):
            continue
        if cap != "max" and int(cap) < UNLIMITED:
            return {"limit_mb": round(int(cap) / 2**20, 1), "peak_mb": round(used / 2**20, 1)}
    return None


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50, p95 and p99 in milliseconds, and how many samples they summarise."""
    ms = np.asarray(seconds) * 1e3
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "n": len(ms),
    }


def timed(samples: int, run: Callable[[int], object], *, warmup: int = 5) -> list[float]:
    """Wall times of `run(i)` for i in range(samples), after `warmup` untimed calls."""
    for i in range(warmup):
        run(i)
    times = []
    for i in range(samples):
        start = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - start)
    return times


def steps(
    items: Iterable[T], label: str, *, total: int | None = None, unit: str = "step"
) -> Iterator[T]:
    """The items, with a progress bar on standard error (count, rate, time left; plain lines
    off a terminal), so a benchmark of minutes says how far it is; the figures stay on stdout."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(label, total, unit=unit) as bar:
        for item in items:
            yield item
            bar.update()


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """`with stopwatch() as t: ...` leaves the elapsed seconds in t['s']."""
    box = {"s": 0.0}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - start


def emit(name: str, figures: dict[str, Any], summary: str, out: str | None) -> None:
    """Print the figures as JSON and the summary line; also write them to `out` when given."""
    record = {"benchmark": name, "command": command_line(), **machine(), **figures}
    print(json.dumps(record, indent=2))
    print(f"SUMMARY {name}: {summary}")
    if out:
        Path(out).write_text(json.dumps(record, indent=2) + "\n")
