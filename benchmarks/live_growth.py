"""Retrieves served from an event loop while the bank grows by 20k cases: no pause (issue 18.4).

A live bank (`memento mcp`, Studio) serves retrieves from an asyncio loop, each through
`asyncio.to_thread(rank_cases, ...)` as the retrieve node calls it, while tasks keep writing
cases and visits (`add_many`, `record_visits`, also off the loop). Each run here starts from a
bank of `--start` cases (built and indexed first), then, at once:
- a writer adds `--grow` tasks, one at a time (a case through `add_many`, then its visits
  through `record_visits`, as the graph's nodes write them; synthetic data of
  `benchmarks/scale_data.py`), at up to `--rate` tasks per second (tasks finishing elsewhere).
  `--credit shared` (the product's default) records the K=4 cases read; `--credit contrastive`
  also the candidates left unread (32 drawn), as the product does with that credit;
- a reader retrieves back to back (N=32 candidates, kernel Q) and times each;
- a ticker sleeps 5 ms at a time and records how late it wakes (the event loop's lag).
Two configurations of the product: `engine_only` (no exact copy: the engine searches and builds
its index in the background as points arrive, holding the GIL for seconds) and `default` (what
ships: small collections searched from their exact copy, the engine's index build postponed
while the copy serves). numpy's BLAS runs as in the product's own processes (one thread, unless
OPENBLAS_NUM_THREADS says otherwise). Retrieve p50/p99/max and loop lag are reported for each;
target p99 <= 3x p50.

    python -m benchmarks.live_growth                      # 1k cases growing by 20k
    python -m benchmarks.live_growth --out benchmarks/results/live_growth.json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from memento.console import ONE_BLAS_THREAD

# Before numpy loads, as the product's own processes (`memento mcp`, `langgraph dev`) run;
# OPENBLAS_NUM_THREADS=2 shows an app that leaves numpy on every core (docs/case-bank.md).
os.environ.update({k: v for k, v in ONE_BLAS_THREAD.items() if k not in os.environ})

import numpy as np

from benchmarks.report import emit
from benchmarks.scale_data import CHUNK, NAMESPACE, Batch, SyntheticBank
from memory import CaseBank, KernelQ
from memory.bank.records import Visit
from memory.engines import exact_copy
from memory.policy import defaults
from memory.policy.read import rank_cases
from memory.policy.write import record_visits

TICK_S = 0.005
WINDOWS = 10
"""The growth is also cut into tenths (in time, so in bank size): a retrieve scans more cases
as the bank grows, so the whole run's p50 and p99 come from banks of different sizes; a tenth's
p99 against its own p50 shows pauses apart from that growth."""


READ = 4
"""Cases read per task (K); with contrastive credit the other visits of a task are unread."""


def _batches(data: SyntheticBank, size: int, first: int = 0) -> Iterator[Batch]:
    """(cases, visits) in batches of `size` cases from case `first`, each case with its
    visits (past the first K of a task: candidates left unread)."""
    k = data.visits_per_task
    for cases, visits in data.task_batches(size, first):
        visits = [
            (v.model_copy(update={"retrieved": False}), s) if i % k >= READ else (v, s)
            for i, (v, s) in enumerate(visits)
        ]
        yield cases, visits


def _build(folder: Path, data: SyntheticBank, start: int) -> None:
    with CaseBank(str(folder), dim=data.dim) as bank, bank.bulk_import():
        for cases, visits in _batches(data, CHUNK):
            bank.add_many(cases)
            bank.add_visits(visits)
            if bank.count() >= start:
                return


def _ms(values: list[float]) -> dict[str, float]:
    array = np.asarray(values) * 1e3
    return {
        "p50_ms": round(float(np.percentile(array, 50)), 3),
        "p99_ms": round(float(np.percentile(array, 99)), 3),
        "max_ms": round(float(array.max()), 1),
        "n": len(values),
    }


def _record(bank: CaseBank, estimator: KernelQ, visits: list[tuple[Visit, Any]], k: int) -> None:
    """Each task's `k` visits through `record_visits`, as the `update_q` node stores them: the
    cases it read, the candidates it left unread (contrastive), its state and reward."""
    for start in range(0, len(visits), k):
        task = visits[start : start + k]
        first, state = task[0]
        record_visits(
            bank, estimator, [[v.case_id for v, _ in task if v.retrieved]], [state],
            [first.target], namespace=NAMESPACE, run_id=first.run_id,
            unread_ids=[v.case_id for v, _ in task if not v.retrieved],
        )  # fmt: skip


async def _grow(
    bank: CaseBank, estimator: KernelQ, batches: Iterator[Batch], rate: float
) -> float:  # fmt: skip
    """Write the batches at `rate` tasks per second (as tasks finishing would), or as fast as
    the bank takes them when it falls behind: a task's case through `add_many`, its visits
    through `record_visits`, each off the loop, as the graph's nodes write them."""
    start = time.perf_counter()
    written = 0
    while batch := await asyncio.to_thread(next, batches, None):  # made as a task makes them
        cases, visits = batch
        await asyncio.to_thread(bank.add_many, cases)
        await asyncio.to_thread(_record, bank, estimator, visits, len(visits) // len(cases))
        written += len(cases)
        ahead = start + written / rate - time.perf_counter()
        if ahead > 0:
            await asyncio.sleep(ahead)
    return time.perf_counter() - start


async def _serve(
    bank: CaseBank, estimator: KernelQ, queries: np.ndarray, done: asyncio.Event,
    seconds: list[float],
) -> None:  # fmt: skip
    i = 0
    while not done.is_set():
        vector = queries[i % len(queries)].tolist()
        i += 1
        start = time.perf_counter()
        await asyncio.to_thread(
            rank_cases, bank, estimator, vector, namespace=NAMESPACE, limit=32, alpha=0.05
        )
        seconds.append(time.perf_counter() - start)


async def _tick(done: asyncio.Event) -> list[float]:
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    while not done.is_set():
        start = loop.time()
        await asyncio.sleep(TICK_S)
        lags.append(max(0.0, loop.time() - start - TICK_S))
    return lags


class CollectionTimer:
    """Times the garbage collector's passes (a full one holds the GIL, like an index build)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds.append(time.perf_counter() - self._start)

    def __enter__(self) -> CollectionTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def figures(self) -> dict[str, float]:
        return {"passes": len(self.seconds), "max_ms": round(max(self.seconds, default=0) * 1e3, 1)}


async def _run(
    bank: CaseBank, estimator: KernelQ, batches: Iterator[Batch], queries: np.ndarray,
    rate: float,
) -> dict[str, Any]:  # fmt: skip
    done = asyncio.Event()
    retrieves: list[float] = []
    reader = asyncio.create_task(_serve(bank, estimator, queries, done, retrieves))
    ticker = asyncio.create_task(_tick(done))
    await asyncio.sleep(1.0)  # retrieves before growth: the steady state
    steady = len(retrieves)
    with CollectionTimer() as collections:
        grow_s = await _grow(bank, estimator, batches, rate)
    done.set()
    await reader
    lags = await ticker
    during = retrieves[steady:]
    figures = _ms(during)
    windows = [_ms(list(part)) for part in np.array_split(np.asarray(during), WINDOWS)]
    return {
        "grow_s": round(grow_s, 1),
        "retrieve_before_growth": _ms(retrieves[:steady]),
        "retrieve_during_growth": figures,
        "p99_over_p50": round(figures["p99_ms"] / figures["p50_ms"], 2),
        "retrieve_by_tenth_of_growth": windows,
        "worst_tenth_p99_over_p50": round(max(w["p99_ms"] / w["p50_ms"] for w in windows), 2),
        "loop_lag": _ms(lags),
        "garbage_collection_during_growth": collections.figures(),
        "cases_after": bank.count(),
        "visits_after": bank.count_visits(),
        "steps_after": bank.count_steps(),
        "exact_copy_serves": {
            "cases": bank._cases.exact.serving,
            "steps": bank._steps.exact.serving,
        },
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "every core"),
    }


def measure(
    config: str, start: int, grow: int, batch: int, rate: float, credit: str, scratch: Path
) -> dict[str, Any]:
    visits_per_task = 32 if credit == "contrastive" else READ
    data = SyntheticBank(start + grow, visits_per_task=visits_per_task)
    folder = scratch / f"bank-{config}"
    _build(folder, data, start)
    # The growing tasks are made one at a time, on the writer's thread, as they are written (as
    # the product's nodes make a task's case and visits): made in chunks of 2,000 tasks (64k
    # visits) on the loop, they had stopped it for up to 1.4 s, which this run once reported
    # as the product's longest stall. Same families and bank, other random draws.
    growing = SyntheticBank(start + grow, visits_per_task=visits_per_task, chunk=batch)
    batches = itertools.islice(_batches(growing, batch, first=start), grow // batch)
    original = exact_copy.MAX_BYTES
    exact_copy.MAX_BYTES = 0 if config == "engine_only" else original
    try:
        with CaseBank(str(folder), dim=data.dim) as bank:
            queries = data.queries(200)
            estimator = KernelQ(bank, credit=credit)  # the credit the visits were written for
            rank_cases(bank, estimator, queries[0].tolist(), namespace=NAMESPACE,
                       limit=32, alpha=0.05)  # fmt: skip
            bank.wait_until_warm()  # files read, exact copies built
            figures = asyncio.run(_run(bank, estimator, batches, queries, rate))
    finally:
        exact_copy.MAX_BYTES = original
    return {"config": config, "credit": credit, "visits_per_task": data.visits_per_task,
            "start_cases": start, "grown_by": grow, "batch": batch, "rate_per_s": rate,
            **figures}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--start", type=int, default=1_000, help="cases before growth")
    parser.add_argument("--grow", type=int, default=20_000, help="cases added while serving")
    parser.add_argument("--batch", type=int, default=1, help="cases per write (one task: 1)")
    parser.add_argument("--rate", type=float, default=200.0, help="cases written per second")
    parser.add_argument("--configs", default="engine_only,default")
    parser.add_argument(
        "--credit",
        default=defaults.CREDIT,
        choices=["contrastive", "shared"],
        help="contrastive: 32 visits per task (4 read); shared: the 4 read",
    )
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for config in args.configs.split(","):
            rows.append(
                measure(
                    config,
                    args.start,
                    args.grow,
                    args.batch,
                    args.rate,
                    args.credit,
                    Path(scratch),
                )
            )
            print(rows[-1], flush=True)
    summary = "; ".join(
        f"{r['config']} ({r['credit']} credit): retrieve during growth p50 "
        f"{r['retrieve_during_growth']['p50_ms']} ms, "
        f"p99 {r['retrieve_during_growth']['p99_ms']} ms ({r['p99_over_p50']}x p50, target <= 3x; "
        f"worst tenth of the growth {r['worst_tenth_p99_over_p50']}x), "
        f"max {r['retrieve_during_growth']['max_ms']} ms; loop lag p99 {r['loop_lag']['p99_ms']} "
        f"ms, max {r['loop_lag']['max_ms']} ms; longest GC pass "
        f"{r['garbage_collection_during_growth']['max_ms']} ms; {r['grown_by']} cases in "
        f"{r['grow_s']} s"
        for r in rows
    )
    emit("live_growth", {"runs": rows}, summary, args.out)


if __name__ == "__main__":
    main()
