"""What a bank shared between processes costs (issue 27 item 5): a retrieve through the process
holding the bank against the same retrieve by the holder itself.

A bank of N cases (random 384-d unit vectors, one namespace) with 4 visits per case is built in
a temporary folder. A holder process opens it and waits (`memory.engines.sharing`: it serves
the bank on loopback); this process opens the same folder, which reaches it through the holder,
and times, per query, `CaseBank.search` (top 32) and a full retrieve
(`memory.policy.read.rank_cases` with kernel Q: the candidate search, each candidate's nearest
visits, the soft policy), as the retrieve node calls them. Then the holder exits, this process
opens the bank itself and times the same queries directly. Printed: p50 and p90 in ms of each.

    python -m benchmarks.shared_bank                # 1000 cases, 200 queries
    python -m benchmarks.shared_bank --cases 10000 --queries 300
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from memory import Case, CaseBank, KernelQ, Visit
from memory.policy.read import rank_cases

DIM = 384
ROOT = Path(__file__).resolve().parents[1]
HOLDER = (
    "import sys; from memory import CaseBank\n"
    "bank = CaseBank(sys.argv[1], dim=None); print('holding', flush=True); sys.stdin.read()\n"
)


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def build(folder: str, cases: int, rng: np.random.Generator) -> None:
    vectors = _unit(rng, cases)
    now = time.time()
    with CaseBank(folder, dim=DIM) as bank, bank.bulk_import():
        items = [
            (
                Case(
                    id="",
                    namespace="ns",
                    question=f"question {i}",
                    reward=float(i % 2),
                    created_at=now,
                    updated_at=now,
                ),
                v.tolist(),
            )
            for i, v in enumerate(vectors)
        ]
        stored = bank.add_many(items)
        visits = [
            (
                Visit(
                    id=str(uuid.uuid4()),
                    namespace="ns",
                    case_id=c.id,
                    target=float(j % 2),
                    run_id=f"r{i}-{j}",
                    created_at=now,
                ),
                (v + 0.1 * q).tolist(),
            )
            for i, (c, v) in enumerate(zip(stored, vectors, strict=True))
            for j, q in enumerate(_unit(rng, 4))
        ]
        bank.add_visits(visits)


def timings(bank: CaseBank, queries: np.ndarray) -> dict[str, list[float]]:
    estimator = KernelQ(bank, visits_per_case=4)
    for q in queries[:5]:  # warm: the holder's exact copies, this process's imports
        rank_cases(bank, estimator, q.tolist(), namespace="ns", limit=32, alpha=0.1)
    bank.wait_until_warm()
    found: dict[str, list[float]] = {"search": [], "retrieve": []}
    for q in queries:
        vector = q.tolist()
        start = time.perf_counter()
        bank.search(vector, namespace="ns", limit=32)
        found["search"].append(time.perf_counter() - start)
        start = time.perf_counter()
        rank_cases(bank, estimator, vector, namespace="ns", limit=32, alpha=0.1)
        found["retrieve"].append(time.perf_counter() - start)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    queries = _unit(rng, args.queries)
    with tempfile.TemporaryDirectory() as home:
        folder = str(Path(home) / "bank")
        build(folder, args.cases, rng)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, folder],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with CaseBank(folder, dim=None) as bank:
            assert type(bank._store).__name__ == "RemoteStore"
            remote = timings(bank, queries)
        holder.communicate("", timeout=60)
        with CaseBank(folder, dim=None) as bank:
            direct = timings(bank, queries)
    print(f"{args.cases} cases, {4 * args.cases} visits, {args.queries} queries; ms per call")
    for name, found in (("through the holder", remote), ("direct", direct)):
        for what, seconds in found.items():
            p50, p90 = np.percentile(np.array(seconds) * 1e3, [50, 90])
            print(f"  {name:<19} {what:<9} p50 {p50:6.2f}  p90 {p90:6.2f}")
    print(
        f"reproduce: python -m benchmarks.shared_bank --cases {args.cases} --queries {args.queries}"
    )


if __name__ == "__main__":
    main()
