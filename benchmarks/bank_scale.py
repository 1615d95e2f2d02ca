"""How the case bank's costs grow with the bank: 1k, 10k, 100k (and, with --million, 1M) cases.

For each size, in a fresh process (so resident memory is that bank's alone): bulk import of
synthetic clustered cases with K=4 visits per task (cases/s, then the index build), resident
memory, the retrieve node's latency (candidate search + kernel Q over nearest visits + soft
policy sampling; the embedding is precomputed, so excluded), and write_case + update_q per task.

    python -m benchmarks.bank_scale                      # Qdrant Edge (the default engine)
    python -m benchmarks.bank_scale --store memory       # qdrant-client local mode, in RAM
    python -m benchmarks.bank_scale --store local --sizes 1000,10000
    python -m benchmarks.bank_scale --million --out scale.json

'local' is Qdrant's local mode in a folder; 'memory' runs the same local-mode search in RAM and
imports ~100x faster (no SQLite), so it stands in for local mode at 100k.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langgraph.runtime import Runtime
from langgraph.types import Overwrite
from tqdm import tqdm

from benchmarks.report import emit, percentiles, resident_mb, steps, stopwatch
from benchmarks.scale_data import CHUNK, NAMESPACE, SyntheticBank
from graphs import MementoContext, State
from memory import CaseBank, KernelQ
from nodes import MementoDeps, make_retrieve, make_update_q, make_write_case
from nodes.schemas import Judgement

TARGETS = {"retrieve_p50_ms_100k": 5.0, "retrieve_p95_ms_100k": 15.0, "retrieve_p50_ms_1m": 10.0}
TARGETS |= {"update_p50_ms_100k": 10.0, "rss_mb_100k": 1500.0, "growth_10k_to_100k": 2.0}


class PrecomputedEmbedder(Embeddings):
    """Hands out precomputed vectors in order: embedding costs nothing in these figures."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.next = 0

    def embed_query(self, text: str) -> list[float]:
        vector = self.vectors[self.next % len(self.vectors)]
        self.next += 1
        return vector.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


def location_for(store: str, folder: Path) -> str:
    return ":memory:" if store == "memory" else f"{store}://{folder / 'bank'}"


def import_bank(bank: CaseBank, data: SyntheticBank) -> dict[str, float]:
    """Bulk import: cases, then visits, then the index build (timed apart)."""
    with stopwatch() as all_time, bank.bulk_import():
        with stopwatch() as cases_time:
            chunks = -(-data.n_cases // CHUNK)
            for chunk in steps(data.case_chunks(), "import cases", total=chunks, unit="chunk"):
                bank.add_many(chunk)
        with stopwatch() as visits_time:
            visits = 0
            for visit_chunk in data.visit_chunks():
                bank.add_visits(visit_chunk)
                visits += len(visit_chunk)
    index_s = all_time["s"] - cases_time["s"] - visits_time["s"]
    return {
        "cases": data.n_cases,
        "visits": visits,
        "import_cases_per_s": round(data.n_cases / cases_time["s"], 1),
        "import_visits_per_s": round(visits / visits_time["s"], 1),
        "index_build_s": round(index_s, 2),
    }


def context(location: str) -> MementoContext:
    return MementoContext(
        store=location, base_url="http://127.0.0.1:9/v1", namespace=NAMESPACE, retrieval="kernel"
    )


async def node_latencies(bank: CaseBank, queries: np.ndarray, ctx: MementoContext) -> dict:
    """The retrieve node per query, then write_case + update_q for the same tasks."""
    deps = MementoDeps(bank=bank, embedder=PrecomputedEmbedder(queries))
    retrieve, write_case, update_q = (make(deps) for make in _NODES)
    runtime = Runtime(context=ctx, stream_writer=lambda _: None)
    states, retrieve_s = [], []
    for i in range(len(queries)):
        state = State(task=f"New task {i} {uuid.uuid4().hex}: how much is the total?")
        start = time.perf_counter()
        update = await retrieve(state, runtime)
        retrieve_s.append(time.perf_counter() - start)
        _apply(state, update)
        state.final_answer = "42"
        state.judgement = Judgement(reward=1.0, method="numeric")
        states.append(state)
    update_s = []
    for state in states:
        start = time.perf_counter()
        _apply(state, await write_case(state, runtime))
        await update_q(state, runtime)
        update_s.append(time.perf_counter() - start)
    return {"retrieve": percentiles(retrieve_s[5:]), "update": percentiles(update_s[5:])}


_NODES = (make_retrieve, make_write_case, make_update_q)


def _apply(state: State, update: dict[str, Any]) -> None:
    """A node's update as the graph applies it here: `Overwrite` (retrieve resets the lists of
    the task before) replaces the value it wraps."""
    for key, value in update.items():
        setattr(state, key, value.value if isinstance(value, Overwrite) else value)


def parts(bank: CaseBank, queries: np.ndarray, ctx: MementoContext) -> dict[str, Any]:
    """Where retrieve's time goes: the candidate search, and Q over the nearest visits."""
    estimator = KernelQ(bank, visits_per_case=ctx.visits_per_case)
    search_s, q_s, visits_read = [], [], []
    for query in queries:
        start = time.perf_counter()
        found = bank.search(query.tolist(), namespace=NAMESPACE, limit=ctx.num_candidates)
        mid = time.perf_counter()
        estimator.q_values(query, found)
        search_s.append(mid - start)
        q_s.append(time.perf_counter() - mid)
        ids = [c.case.id for c in found]
        visits_read.append(len(bank.nearest_visits(query.tolist(), ids, per_case=32)))
    return {
        "search": percentiles(search_s),
        "kernel_q": percentiles(q_s),
        "visits_read_max": int(max(visits_read)),
        "visits_read_bound": ctx.num_candidates * ctx.visits_per_case,
        "search_recall": search_recall(bank, queries[:20], ctx.num_candidates),
        "beam_widths": beam_widths(bank, queries[:50], ctx.num_candidates)
        if bank.engine == "edge"
        else None,
    }


def search_recall(bank: CaseBank, queries: np.ndarray, limit: int) -> float | None:
    """Share of the exact top `limit` cases that the (HNSW) search found, on Qdrant Edge."""
    if bank.engine != "edge":
        return None  # the other embedded engines search exactly
    return beam_widths(bank, queries, limit)["default"]["recall"]


def beam_widths(bank: CaseBank, queries: np.ndarray, limit: int) -> dict[str, dict[str, float]]:
    """Recall and search p50 of the case search at the default HNSW beam width and others."""
    import qdrant_edge as qe

    from memory.engines import edge_collection

    shard = bank._cases.shard  # type: ignore[attr-defined]
    exact = []
    for query in queries:
        request = qe.QueryRequest(
            limit=limit, query=qe.Query.Nearest(query.tolist()), params=qe.SearchParams(exact=True)
        )
        exact.append({str(p.id) for p in shard.query(request)})
    default, figures = edge_collection.SEARCH_EF, {}
    for ef in (default, 32, 64, 128, 256):
        edge_collection.SEARCH_EF = ef
        found, times = 0, []
        for query, truth in zip(queries, exact, strict=True):
            start = time.perf_counter()
            hits = bank.search(query.tolist(), namespace=NAMESPACE, limit=limit)
            times.append(time.perf_counter() - start)
            found += len({s.case.id for s in hits} & truth)
        key = "default" if ef == default and "default" not in figures else f"ef{ef}"
        figures[key] = {
            "ef": ef,
            "recall": round(found / (limit * len(queries)), 4),
            "search_p50_ms": round(float(np.median(times)) * 1e3, 3),
        }
    edge_collection.SEARCH_EF = default
    return figures


def run_one(size: int, store: str, queries: int, folder: Path) -> dict[str, Any]:
    """Import a bank of `size` cases, then measure it as a process that opens it would.

    A folder bank is closed after the import and measured in a fresh process, so its resident
    memory is that of a process using the bank, not of one that just built it.
    """
    data = SyntheticBank(size)
    location = location_for(store, folder)
    with CaseBank(location, dim=data.dim) as bank:
        figures: dict[str, Any] = {"size": size, "store": store, "engine": bank.engine}
        figures |= import_bank(bank, data)
        if bank.folder is None:
            return figures | measure(bank, data, queries)
    out = folder / "measure.json"
    child = [sys.executable, "-m", "benchmarks.bank_scale", "--measure", location]
    child += ["--one", str(size), "--queries", str(queries), "--out", str(out)]
    subprocess.run(child, check=True, stdout=subprocess.DEVNULL)
    measured = json.loads(out.read_text())
    return figures | {k: v for k, v in measured.items() if k not in _REPORT_KEYS}


_REPORT_KEYS = ("benchmark", "command", "cpus", "load_average")


def measure(bank: CaseBank, data: SyntheticBank, queries: int) -> dict[str, Any]:
    """Latencies and resident memory of an open bank."""
    ctx = context(bank.location)
    figures = asyncio.run(node_latencies(bank, data.queries(queries + 5, seed=11), ctx))
    figures |= parts(bank, data.queries(queries, seed=7), ctx)  # other tasks: no warm cache
    figures["rss_mb"] = resident_mb()
    figures["rss_anon_mb"] = resident_mb("RssAnon")
    figures["rss_file_mb"] = resident_mb("RssFile")
    return figures


def measure_folder(location: str, size: int, queries: int) -> dict[str, Any]:
    """A fresh process opening the bank: it first lets the bank warm its files (see
    `CaseBank.wait_until_warm`), as a long-lived agent's would be by its second minute."""
    with stopwatch() as opening:
        bank = CaseBank(location, dim=None)
    with stopwatch() as warming:
        bank.wait_until_warm()
    with bank:
        figures = measure(bank, SyntheticBank(size), queries)
    return figures | {"open_s": round(opening["s"], 2), "warm_up_s": round(warming["s"], 2)}


def run_all(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.million else [])
    rows = []
    for size in steps(sizes, "bank_scale", unit="bank"):
        with tempfile.TemporaryDirectory(dir=args.folder) as scratch:
            out = Path(scratch) / "one.json"
            one = [sys.executable, "-m", "benchmarks.bank_scale", "--one", str(size)]
            one += ["--store", args.store, "--queries", str(args.queries), "--out", str(out)]
            subprocess.run(one, check=True, stdout=subprocess.DEVNULL)
            rows.append(json.loads(out.read_text()))
            rows[-1].pop("command"), rows[-1].pop("benchmark")
        tqdm.write(_row_line(rows[-1]))  # above the bar
    figures = {"store": args.store, "rows": rows, "targets": TARGETS, "verdicts": verdicts(rows)}
    emit("bank_scale", figures, summary(rows), args.out)


def _row_line(row: dict[str, Any]) -> str:
    return (
        f"{row['size']:>9,} cases  retrieve p50 {row['retrieve']['p50_ms']:7.2f} ms "
        f"p95 {row['retrieve']['p95_ms']:7.2f} ms  update p50 {row['update']['p50_ms']:6.2f} ms  "
        f"import {row['import_cases_per_s']:8.0f} cases/s  index {row['index_build_s']:6.1f} s  "
        f"RSS {row['rss_mb']:7.0f} MB"
    )


def verdicts(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Each target at the sizes measured: 'met (value)' or 'missed (value)'."""
    by_size = {r["size"]: r for r in rows}
    checks: dict[str, float] = {}
    if 100_000 in by_size:
        r = by_size[100_000]
        checks["retrieve_p50_ms_100k"] = r["retrieve"]["p50_ms"]
        checks["retrieve_p95_ms_100k"] = r["retrieve"]["p95_ms"]
        checks["update_p50_ms_100k"] = r["update"]["p50_ms"]
        checks["rss_mb_100k"] = r["rss_mb"]
        if 10_000 in by_size:
            base = by_size[10_000]["retrieve"]["p50_ms"]
            checks["growth_10k_to_100k"] = round(r["retrieve"]["p50_ms"] / base, 2)
    if 1_000_000 in by_size:
        checks["retrieve_p50_ms_1m"] = by_size[1_000_000]["retrieve"]["p50_ms"]
    return {k: f"{'met' if v <= TARGETS[k] else 'missed'} ({v})" for k, v in checks.items()}


def summary(rows: list[dict[str, Any]]) -> str:
    largest = rows[-1]
    return (
        f"{largest['engine']} at {largest['size']:,} cases: retrieve p50 "
        f"{largest['retrieve']['p50_ms']} ms, update p50 {largest['update']['p50_ms']} ms, "
        f"RSS {largest['rss_mb']} MB; " + "; ".join(f"{k} {v}" for k, v in verdicts(rows).items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=["edge", "local", "memory"], default="edge")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--million", action="store_true", help="also 1M cases (~30 min)")
    parser.add_argument("--queries", type=int, default=200, help="timed tasks per size")
    parser.add_argument("--folder", default=None, help="where the banks go (default: /tmp)")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is None:
        run_all(args)
        return
    if args.measure is not None:
        figures = measure_folder(args.measure, args.one, args.queries)
        emit("bank_scale_measure", figures, f"{figures['rss_mb']} MB", args.out)
        return
    with tempfile.TemporaryDirectory(dir=args.folder) as scratch:
        figures = run_one(args.one, args.store, args.queries, Path(scratch))
    emit("bank_scale_one", figures, _row_line(figures), args.out)


if __name__ == "__main__":
    main()
