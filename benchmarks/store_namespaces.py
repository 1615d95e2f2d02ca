"""What browsing the case bank through `MementoStore` (the LangGraph store) costs.

`list_namespaces` and a `search` (which covers every namespace under its prefix) need the
bank's namespaces; the engines have no distinct-values query, so finding them reads every
case. The store keeps them until the bank's case count changes (or it writes itself). This
prints, for a synthetic Qdrant Edge bank of N cases in U user namespaces: the first
(cold) `list_namespaces`, a repeated (warm) one, and an exact-namespace `search` with a query
and without one, warm.

    python -m benchmarks.store_namespaces                    # 20k cases, 50 users
    python -m benchmarks.store_namespaces --cases 100000 --users 500
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from benchmarks.report import emit, percentiles, stopwatch, timed
from memory import Case, CaseBank
from memory.adapters.langgraph_store import MementoStore
from tests.fakes import HashingEmbedder

DIM = 64


def _fill(bank: CaseBank, cases: int, users: int) -> None:
    rng = np.random.default_rng(0)
    now = time.time()
    with bank.bulk_import():
        for start in range(0, cases, 1000):
            batch = []
            for i in range(start, min(start + 1000, cases)):
                vector = rng.normal(size=DIM)
                case = Case(
                    id="",
                    namespace=f"memento:user{i % users}",
                    question=f"question {i} about things",
                    answer="a" * 200,
                    plan=["step one", "step two"],
                    reward=1.0,
                    created_at=now,
                    updated_at=now,
                )
                batch.append((case, (vector / np.linalg.norm(vector)).tolist()))
            bank.add_many(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, CaseBank(f"edge://{folder}/b", dim=DIM) as bank:
        _fill(bank, args.cases, args.users)
        store = MementoStore(bank, HashingEmbedder(dim=DIM))
        with stopwatch() as cold:
            listed = store.list_namespaces(limit=args.users + 1)
        assert len(listed) == args.users
        user = ("memento", "user3")
        figures = {
            "cases": args.cases,
            "users": args.users,
            "cold_list_namespaces_ms": round(cold["s"] * 1e3, 1),
            "warm_list_namespaces": percentiles(
                timed(args.samples, lambda i: store.list_namespaces())
            ),
            "warm_search_query": percentiles(
                timed(args.samples, lambda i: store.search(user, query=f"question {i}"))
            ),
            "warm_search_list": percentiles(timed(args.samples, lambda i: store.search(user))),
        }
    summary = (
        f"{args.cases} cases / {args.users} users: cold list_namespaces "
        f"{figures['cold_list_namespaces_ms']} ms, warm "
        f"{figures['warm_list_namespaces']['p50_ms']} ms; search with a query "
        f"{figures['warm_search_query']['p50_ms']} ms p50"
    )
    emit("store_namespaces", figures, summary, args.out)


if __name__ == "__main__":
    main()
