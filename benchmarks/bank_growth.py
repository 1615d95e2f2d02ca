"""What one bank costs per task as it grows to 10k, 100k and 1M tasks (issue 29).

One Qdrant Edge bank (the default engine, in a temporary folder) grows in tenths up to `--tasks`
through the bank's public write path: a task is one case (`add_many`) and its K=4 visits
(`add_visits`), written `--batch` tasks per call. Each tenth is one `bank.bulk_import()` block,
so Edge builds its index once, at the end of each tenth, and that build counts in the tenth's
write rate (making the synthetic tasks does not). The tasks are those of
`benchmarks/scale_data.py` with `past_only`: a task's visits land on cases of its own family
written before it, as in a bank that grows.

After each tenth, with the index built and the bank warm (a first search, then
`wait_until_warm`: the exact copies of small collections built, as a running agent's are):
- retrieve p50/p95/p99 of the retrieve node over `--queries` new tasks (new vectors each tenth,
  5 warm-ups), as `bank_scale` times it (`scale_measures.node_latencies`), and their write_case +
  update_q: those tasks stay in the bank, so each tenth also adds `--queries` + 5 tasks through
  the graph's nodes (they count in the bank's tasks);
- disk: the bank folder's files, allocated (st_blocks, as `du` counts: what the target judges)
  and apparent (Edge preallocates sparse files: 32 MB write-ahead logs and pages), per task;
- memory: this process's resident memory now (private / page cache) and its peak (VmHWM); the
  process also makes the synthetic tasks (and keeps their case ids), so that is counted too.
  RSS counts the bank's file pages the OS keeps mapped while memory is free (it drops them
  when memory is short); run under a memory cgroup to see what the work needs: each row then
  has the cgroup's limit and the most it held, page cache included (`memory_cgroup`):

      mkdir /sys/fs/cgroup/memory/memento4g                       # cgroup v1, as root
      echo 4G > /sys/fs/cgroup/memory/memento4g/memory.limit_in_bytes
      sh -c 'echo $$ > /sys/fs/cgroup/memory/memento4g/cgroup.procs;
             exec python -m benchmarks.bank_growth --tasks 1000000 --folder DIR'
      systemd-run --user --scope -p MemoryMax=4G python -m benchmarks.bank_growth ...  # v2
numpy's BLAS runs on one thread, as in `memento`'s own processes (`memento/console.py`), unless
OPENBLAS_NUM_THREADS says otherwise: on every core its idle thread spins, and on 2 shared cores
that took retrieve p50 from ~2 ms to 5-15 ms in some tenths.

    python -m benchmarks.bank_growth --tasks 10000                 # ~1 min
    python -m benchmarks.bank_growth                               # 100k tasks
    python -m benchmarks.bank_growth --tasks 1000000 --folder DIR  # the issue's 1M
    python -m benchmarks.bank_growth --baseline benchmarks/results/bank_growth_before.json

Targets (issue 29), in the SUMMARY line: disk <= 12 KB (KiB) per task at the largest size;
peak RSS <= 4 GB at 1M tasks; retrieve p99 <= 3x p50 in every tenth; >= 500 tasks/s in every
tenth's bulk write (index build included); with `--baseline` (an earlier run's JSON), retrieve
p50 <= 1.5x the baseline's at the largest number of written tasks both reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from memento.console import ONE_BLAS_THREAD

# Before numpy loads, as the product's own processes run (see the docstring).
os.environ.update({k: v for k, v in ONE_BLAS_THREAD.items() if k not in os.environ})

from tqdm import tqdm

from benchmarks.report import emit, memory_cgroup, resident_mb, steps, stopwatch
from benchmarks.scale_data import NAMESPACE, Batch, SyntheticBank
from benchmarks.scale_measures import context, node_latencies
from memory import CaseBank, KernelQ
from memory.policy.read import rank_cases

TENTHS = 10
KB = 1024
TARGETS = {
    "disk_kb_per_task": 12.0,
    "peak_rss_mb_1m": 4096.0,
    "worst_tenth_p99_over_p50": 3.0,
    "slowest_tenth_tasks_per_s": 500.0,
    "retrieve_p50_vs_baseline": 1.5,
}
AT_LEAST = {"slowest_tenth_tasks_per_s"}
"""Targets that are floors; the others are ceilings."""


def disk_bytes(folder: Path) -> dict[str, int]:
    """The folder's files: their sizes, and the disk they take (st_blocks, as `du` counts)."""
    apparent = allocated = 0
    for root, _, names in os.walk(folder):
        for name in names:
            stat = os.lstat(os.path.join(root, name))
            apparent += stat.st_size
            allocated += stat.st_blocks * 512
    return {"apparent": apparent, "allocated": allocated}


def write_tenth(bank: CaseBank, batches: Iterator[Batch], until: int, written: int) -> dict:
    """Write batches until `until` tasks are written; the writes and the index build timed."""
    made_s = cases_s = visits_s = 0.0
    start = written
    with stopwatch() as whole, bank.bulk_import():
        while written < until:
            with stopwatch() as made:
                batch = next(batches, None)
            made_s += made["s"]  # making the synthetic tasks: not timed
            if batch is None:
                break
            with stopwatch() as cases:
                bank.add_many(batch[0])
            with stopwatch() as visits:
                bank.add_visits(batch[1])
            cases_s, visits_s = cases_s + cases["s"], visits_s + visits["s"]
            written += len(batch[0])
    index_s = whole["s"] - made_s - cases_s - visits_s  # the block's end builds the index
    tasks = written - start
    return {
        "written": written,
        "cases_s": round(cases_s, 2),
        "visits_s": round(visits_s, 2),
        "index_s": round(index_s, 2),
        "tasks_per_s": round(tasks / (cases_s + visits_s + index_s), 1),
        "tasks_per_s_before_index": round(tasks / (cases_s + visits_s), 1),
    }


def measure_tenth(bank: CaseBank, data: SyntheticBank, queries: int, tenth: int) -> dict:
    """Retrieve (and its tasks' write), then disk and memory, on the bank as it stands."""
    vectors = data.queries(queries + 5, seed=100 + tenth)  # new tasks each tenth
    ctx = context(bank.location)
    warm_up = vectors[0].tolist()  # a first search starts the exact copies: wait for them
    rank_cases(bank, KernelQ(bank), warm_up, namespace=NAMESPACE, limit=32, alpha=ctx.alpha)
    bank.wait_until_warm()
    nodes = asyncio.run(node_latencies(bank, vectors, ctx))
    tasks = bank.count()
    disk = disk_bytes(bank.folder) if bank.folder else {"apparent": 0, "allocated": 0}
    return {
        "tasks": tasks,
        "disk_bytes": disk["apparent"],
        "disk_allocated_bytes": disk["allocated"],
        "disk_kb_per_task": round(disk["apparent"] / tasks / KB, 2),
        "disk_allocated_kb_per_task": round(disk["allocated"] / tasks / KB, 2),
        "rss_mb": resident_mb(),
        "rss_anon_mb": resident_mb("RssAnon"),
        "rss_file_mb": resident_mb("RssFile"),
        "peak_rss_mb": resident_mb("VmHWM"),
        "memory_cgroup": memory_cgroup(),
        "retrieve": nodes["retrieve"],
        "p99_over_p50": round(nodes["retrieve"]["p99_ms"] / nodes["retrieve"]["p50_ms"], 2),
        "update": nodes["update"],
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def grow(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    data = SyntheticBank(args.tasks, past_only=True)
    batches = data.task_batches(min(args.batch, max(1, args.tasks // TENTHS)))
    rows: list[dict[str, Any]] = []
    with CaseBank(str(folder / "bank"), dim=data.dim) as bank:
        written = 0
        for tenth in steps(range(1, TENTHS + 1), "bank_growth", unit="tenth"):
            write = write_tenth(bank, batches, args.tasks * tenth // TENTHS, written)
            written = write.pop("written")
            rows.append({"tenth": tenth, "written": written, "engine": bank.engine, **write})
            rows[-1] |= measure_tenth(bank, data, args.queries, tenth)
            tqdm.write(row_line(rows[-1]))  # above the bar
    return rows


def row_line(row: dict[str, Any]) -> str:
    return (
        f"| {row['tasks']:,} | {row['disk_allocated_kb_per_task']:.1f} / "
        f"{row['disk_kb_per_task']:,.1f} KB | {row['rss_mb']:,.0f} MB "
        f"({row['rss_anon_mb']:,.0f} + {row['rss_file_mb']:,.0f}) | {row['peak_rss_mb']:,.0f} MB "
        f"| {row['tasks_per_s']:,.0f} ({row['index_s']:.1f} s) | {row['retrieve']['p50_ms']:.2f} "
        f"/ {row['retrieve']['p99_ms']:.2f} ms | {row['p99_over_p50']:.2f} |"
    )


TABLE_HEAD = (
    "| tasks | disk per task (allocated / apparent) | RSS (private + page cache) | peak RSS "
    "| write tasks/s (index build) | retrieve p50 / p99 | p99 / p50 |\n"
    "|---:|---:|---:|---:|---:|---:|---:|"
)


def checks(rows: list[dict[str, Any]], baseline: list[dict[str, Any]] | None) -> dict[str, float]:
    """The targets' values on this run: disk and peak memory at its largest size, p99 / p50 in
    its worst tenth, the write rate of its slowest, retrieve p50 against the baseline's."""
    largest = rows[-1]
    found = {
        "disk_kb_per_task": largest["disk_allocated_kb_per_task"],
        "worst_tenth_p99_over_p50": max(r["p99_over_p50"] for r in rows),
        "slowest_tenth_tasks_per_s": min(r["tasks_per_s"] for r in rows),
    }
    if largest["written"] >= 1_000_000:
        found["peak_rss_mb_1m"] = largest["peak_rss_mb"]
    before = {r["written"]: r for r in baseline or []}
    common = [r for r in rows if r["written"] in before]
    if common:
        then = before[common[-1]["written"]]["retrieve"]["p50_ms"]
        found["retrieve_p50_vs_baseline"] = round(common[-1]["retrieve"]["p50_ms"] / then, 2)
    return found


def verdicts(found: dict[str, float]) -> dict[str, str]:
    def met(key: str, value: float) -> bool:
        return value >= TARGETS[key] if key in AT_LEAST else value <= TARGETS[key]

    return {k: f"{'met' if met(k, v) else 'missed'} ({v})" for k, v in found.items()}


def summary(rows: list[dict[str, Any]], judged: dict[str, str]) -> str:
    largest = rows[-1]
    unjudged = [k for k in TARGETS if k not in judged]
    return (
        f"{largest['engine']} grown to {largest['tasks']:,} tasks: "
        f"{largest['disk_allocated_kb_per_task']} KB/task on disk, peak RSS "
        f"{largest['peak_rss_mb']:,.0f} MB, retrieve p50 {largest['retrieve']['p50_ms']} ms; "
        + "; ".join(f"{k} {v}" for k, v in judged.items())
        + (f"; not judged here: {', '.join(unjudged)}" if unjudged else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks at the end")
    parser.add_argument("--batch", type=int, default=1_000, help="tasks per write (<= a tenth)")
    parser.add_argument("--queries", type=int, default=200, help="timed retrieves per tenth")
    parser.add_argument("--folder", default=None, help="where the bank goes (default: /tmp)")
    parser.add_argument("--baseline", default=None, help="an earlier run's JSON, for retrieve")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    baseline = json.loads(Path(args.baseline).read_text())["rows"] if args.baseline else None
    print(TABLE_HEAD, flush=True)
    with tempfile.TemporaryDirectory(dir=args.folder) as scratch:
        rows = grow(args, Path(scratch))
    judged = verdicts(checks(rows, baseline))
    figures = {"tasks": args.tasks, "batch": args.batch, "queries": args.queries, "rows": rows}
    figures["blas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS", "every core")
    figures |= {"targets": TARGETS, "verdicts": judged}
    emit("bank_growth", figures, summary(rows, judged), args.out)


if __name__ == "__main__":
    main()
