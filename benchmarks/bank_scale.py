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
This module runs the sizes and judges the targets; `scale_measures.py` is what is measured on
an open bank.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmarks.report import emit, steps, stopwatch
from benchmarks.scale_data import CHUNK, SyntheticBank
from benchmarks.scale_measures import measure
from memory import CaseBank

TARGETS = {"retrieve_p50_ms_100k": 5.0, "retrieve_p95_ms_100k": 15.0, "retrieve_p50_ms_1m": 10.0}
TARGETS |= {"update_p50_ms_100k": 10.0, "rss_mb_100k": 1500.0, "growth_10k_to_100k": 2.0}


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
