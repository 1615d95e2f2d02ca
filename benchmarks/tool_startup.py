"""How long `ToolSessions` takes to start MCP servers: each alone, and all together.

    python -m benchmarks.tool_startup [--servers calculator,python] [--repeats 5]

Servers start at once, so starting them together should cost about the slowest one alone, not
the sum (a start is mostly the server's interpreter importing MCP). Prints the median and best
of each, the sum of the single medians, and the load average (figures move with the load).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import time

from tools import ToolSessions, build_connections


async def start_time(servers: list[str]) -> float:
    """Seconds from entering ToolSessions to every server's tools listed."""
    started = time.perf_counter()
    async with ToolSessions(build_connections(enabled=servers)):
        return time.perf_counter() - started


async def measure(servers: list[str], repeats: int) -> dict[str, list[float]]:
    await start_time(servers)  # warm the file cache once
    times: dict[str, list[float]] = {name: [] for name in [*servers, "together"]}
    for _ in range(repeats):  # interleaved, so a change of load hits every row alike
        for name in servers:
            times[name].append(await start_time([name]))
        times["together"].append(await start_time(servers))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--servers", default="calculator,python")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    print("command:", shlex.join(["python", "-m", "benchmarks.tool_startup", *sys.argv[1:]]))
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    times = asyncio.run(measure(servers, args.repeats))
    print(f"load average after: {os.getloadavg()[0]:.2f}; {args.repeats} starts each, seconds")
    print("| servers | median | best |")
    print("|---|---|---|")
    for name, values in times.items():
        label = f"{', '.join(servers)} together" if name == "together" else f"{name} alone"
        print(f"| {label} | {statistics.median(values):.3f} | {min(values):.3f} |")
    total = sum(statistics.median(times[name]) for name in servers)
    print(f"| sum of the single medians (one after the other) | {total:.3f} | |")


if __name__ == "__main__":
    main()
