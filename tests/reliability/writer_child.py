"""A child process that writes cases and visits in a loop and reports each finished write.

Run by test_crash_safety, which kills it with SIGKILL at a random moment.
"""

from __future__ import annotations

import sys
import time
import uuid

from memory import Case, CaseBank, Visit


def main(store: str, start: int) -> None:
    with CaseBank(store, dim=8) as bank:
        for i in range(start, start + 100_000):
            now = time.time()
            vector = [float((i * k) % 7) + 1.0 for k in range(1, 9)]
            case = Case(
                id="",
                namespace="crash",
                question=f"question {i}",
                answer=str(i),
                reward=1.0,
                trajectory=[{"step": "x" * 200}],
                created_at=now,
                updated_at=now,
            )
            stored = bank.add(case, vector)
            visit = Visit(
                id=str(uuid.uuid4()),
                case_id=stored.id,
                namespace="crash",
                target=1.0,
                created_at=now,
            )
            bank.add_visits([(visit, vector)])
            print(f"done {stored.id}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
