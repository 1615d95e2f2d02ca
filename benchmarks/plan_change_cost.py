"""What the plan-level change detector (`plan_change_after`) adds to a retrieve.

The synthetic bank of `benchmarks/small_banks.py` (clustered 384-d cases, 4 visits per task) in
Qdrant Edge, opened afresh; every case there holds one plan, the detector's worst case (every
candidate's visits read as one history). Each query is retrieved with the default estimator and
with the detector off (`plan_change_after=0`), in turn, on the same bank: the difference is the
detector's cost.

    python -m benchmarks.plan_change_cost                 # 1k and 10k cases
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks.report import emit, percentiles
from benchmarks.small_banks import load, size_arguments, timed_retrieve
from memory import CaseBank, KernelQ


def measure(size: int, queries: int, folder: Path) -> dict[str, Any]:
    """p50/p95 of a retrieve with the detector on (the default) and off, at `size` cases."""
    bank, _, data = load(size, folder)
    bank.close()
    seconds: dict[str, list[float]] = {"on": [], "off": []}
    with CaseBank(bank.location, dim=data.dim) as opened:
        estimators = {"on": KernelQ(opened), "off": KernelQ(opened, plan_change_after=0)}
        for query in data.queries(queries + 5):
            for name, estimator in estimators.items():
                seconds[name].append(timed_retrieve(opened, estimator, query)[1])
    on, off = percentiles(seconds["on"][5:]), percentiles(seconds["off"][5:])
    return {
        "cases": size,
        "on": on,
        "off": off,
        "added_p50_ms": round(on["p50_ms"] - off["p50_ms"], 3),
    }


def main() -> None:
    args = size_arguments(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        rows = [measure(int(s), args.queries, Path(scratch)) for s in args.sizes.split(",")]
    summary = "; ".join(
        f"{r['cases']} cases: p50 {r['on']['p50_ms']} ms with the detector, {r['off']['p50_ms']} "
        f"ms without (+{r['added_p50_ms']} ms)"
        for r in rows
    )
    emit("plan_change_cost", {"sizes": rows}, summary, args.out)


if __name__ == "__main__":
    main()
