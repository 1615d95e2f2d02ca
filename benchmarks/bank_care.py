"""What bank care costs on a long-lived bank: why, prune plans, consolidation, budgeted writes.

On the synthetic bank of `benchmarks/scale_data.py` (clustered 384-d cases, K=4 visits per
task) in Qdrant Edge, it times:
- **why**: `memory.care.explanation.explain` for a new task (rank, eval top-K, every candidate's
visits);
- **prune plans** (dry runs): by age (a scan of the cases and visits), by Q (Q at every case's
  own question), to a budget of half the bank;
- **consolidation**: finding near-duplicates (one search per case);
- **writes at the budget**: `bank.add` of new cases into a bank opened with `max_cases` equal to
  its size, against the same writes with no budget; the budgeted write that passes the budget
  pays for the scan (then 10% of the budget is free again), so p50 and the mean are both shown;
- **relabel** of a case whose run wrote K visits.

    python -m benchmarks.bank_care                      # 10k cases
    python -m benchmarks.bank_care --cases 2000 --out bank_care.json
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import emit, percentiles, stopwatch
from benchmarks.scale_data import NAMESPACE, SyntheticBank
from memory import CaseBank, KernelQ
from memory.care.consolidation import find_duplicates
from memory.care.explanation import explain
from memory.care.pruning import plan_prune
from memory.care.relabelling import relabel


def fill(bank: CaseBank, data: SyntheticBank) -> None:
    with bank.bulk_import():
        for chunk in data.case_chunks():
            bank.add_many(chunk)
        for visit_chunk in data.visit_chunks():
            bank.add_visits(visit_chunk)


def timed_writes(bank: CaseBank, data: SyntheticBank, start: int, n: int) -> list[float]:
    vectors = data.vectors(0, n)
    times = []
    for i in range(n):
        case = data.case(start + i).model_copy(update={"question": f"new task {start + i}"})
        begin = time.perf_counter()
        bank.add(case, vectors[i].tolist())
        times.append(time.perf_counter() - begin)
    return times


def measure(cases: int, queries: int, writes: int, folder: Path) -> dict[str, Any]:
    data = SyntheticBank(cases)
    location = f"edge://{folder / 'bank'}"
    with CaseBank(location, dim=data.dim) as bank:
        fill(bank, data)
    figures: dict[str, Any] = {"cases": cases, "visits": cases * data.visits_per_task}
    with CaseBank(location, dim=None) as bank:
        kernel = KernelQ(bank)
        why_s = []
        for query in data.queries(queries):
            with stopwatch() as t:
                explain(bank, kernel, query.tolist(), namespace=NAMESPACE, num_candidates=32,
                        top_k=4, alpha=0.1, min_similarity=0.3, tau=0.3)  # fmt: skip
            why_s.append(t["s"])
        figures["why"] = percentiles(why_s)
        now = time.time()
        for name, rules in (
            ("prune_plan_age_s", {"older_than_s": 30 * 86_400.0}),
            ("prune_plan_q_s", {"q_below": 0.2, "estimator": kernel, "min_visits": 3}),
            ("prune_plan_budget_s", {"max_cases": cases // 2}),
        ):
            with stopwatch() as t:
                plan = plan_prune(bank, NAMESPACE, now=now, **rules)
            figures[name] = round(t["s"], 2)
            figures[name.replace("_s", "_doomed")] = len(plan.doomed)
        with stopwatch() as t:
            groups = find_duplicates(bank, NAMESPACE)
        figures["consolidation_find_s"] = round(t["s"], 2)
        figures["duplicate_groups"] = len(groups)
        unbudgeted = timed_writes(bank, data, cases, writes)
    with CaseBank(location, dim=None, max_cases=bank_size(location)) as bank:
        budgeted = timed_writes(bank, data, cases + writes, writes)
        figures["cases_after_budgeted_writes"] = bank.count(namespace=NAMESPACE)
        victim = next(c for c in bank.list_cases(namespace=NAMESPACE) if c.run_id)
        with stopwatch() as t:
            relabel(bank, victim.id, 1.0 - victim.reward)
        figures["relabel_s"] = round(t["s"], 3)
    for name, times in (("write_no_budget", unbudgeted), ("write_at_budget", budgeted)):
        figures[name] = {**percentiles(times), "mean_ms": round(float(np.mean(times)) * 1e3, 3)}
    return figures


def bank_size(location: str) -> int:
    with CaseBank(location, dim=None) as bank:
        return bank.count(namespace=NAMESPACE)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        f = measure(args.cases, args.queries, args.writes, Path(scratch))
    summary = (
        f"{f['cases']} cases: why p50 {f['why']['p50_ms']} ms; prune plans: age "
        f"{f['prune_plan_age_s']} s, Q {f['prune_plan_q_s']} s, budget "
        f"{f['prune_plan_budget_s']} s; consolidation find {f['consolidation_find_s']} s; "
        f"write p50 {f['write_no_budget']['p50_ms']} ms without a budget, "
        f"{f['write_at_budget']['p50_ms']} ms at the budget (mean "
        f"{f['write_at_budget']['mean_ms']} ms); relabel {f['relabel_s']} s"
    )
    emit("bank_care", f, summary, args.out)


if __name__ == "__main__":
    main()
