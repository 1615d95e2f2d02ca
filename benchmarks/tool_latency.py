"""Per-call latency of an MCP tool: one persistent session versus a server started per call.

    python benchmarks/tool_latency.py [--calls 200] [--cold-calls 5] [--out FILE.json]

Calls the bundled calculator's `calculate` tool (a) `--calls` times through a session held open
for the whole run (`ToolSessions`, what Memento does) and (b) `--cold-calls` times through a
tool from `MultiServerMCPClient.get_tools()`, which starts a new server process for every call.
Prints the median and p95 of each, a one-line summary and the command; `--out` also writes the
figures as JSON. Timings on a 2-core machine move with whatever else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient

from tools import ToolSessions, build_connections

EXPRESSION = "17 * 23 + 4"
WARMUP_CALLS = 5


async def _timed_calls(tool: BaseTool, calls: int) -> list[float]:
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        result = await tool.ainvoke({"expression": EXPRESSION})
        seconds.append(time.perf_counter() - started)
        assert "395" in str(result), result
    return seconds


async def persistent_session(calls: int) -> list[float]:
    """Latency of calls through one session kept open (server started once, not timed)."""
    async with ToolSessions(build_connections(enabled=["calculator"])) as sessions:
        (tool,) = sessions.tools
        await _timed_calls(tool, WARMUP_CALLS)
        return await _timed_calls(tool, calls)


async def server_per_call(calls: int) -> list[float]:
    """Latency of calls through `get_tools()` tools, each of which starts its own server."""
    client = MultiServerMCPClient(build_connections(enabled=["calculator"]))
    (tool,) = await client.get_tools()
    return await _timed_calls(tool, calls)


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "calls": len(ms),
        "median_ms": round(float(np.median(ms)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "min_ms": round(float(ms.min()), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls through the open session")
    parser.add_argument("--cold-calls", type=int, default=5, help="calls that start a server")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    warm = _stats(asyncio.run(persistent_session(args.calls)))
    cold = _stats(asyncio.run(server_per_call(args.cold_calls)))
    speedup = cold["median_ms"] / warm["median_ms"]
    summary = (
        f"persistent session {warm['median_ms']:.2f} ms median ({warm['p95_ms']:.2f} ms p95) "
        f"vs server per call {cold['median_ms']:.0f} ms median: {speedup:.0f}x faster"
    )
    command = shlex.join(["python", "benchmarks/tool_latency.py", *(argv or sys.argv[1:])])
    report = {
        "persistent_session": warm,
        "server_per_call": cold,
        "speedup_median": round(speedup, 1),
        "summary": summary,
        "command": command,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
    }
    for name, stats in (("persistent session", warm), ("server per call", cold)):
        print(
            f"{name:>18}: {stats['calls']:>4} calls, median {stats['median_ms']:9.2f} ms, "
            f"p95 {stats['p95_ms']:9.2f} ms, min {stats['min_ms']:9.2f} ms"
        )
    print(f"load average (1 min): {report['machine']['load_average_1m']} on {os.cpu_count()} CPUs")
    print(f"summary: {summary}")
    print(f"command: {command}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
