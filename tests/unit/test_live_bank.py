"""A live bank serves retrieves while tasks write to it: reads never wait for a write.

`benchmarks/live_growth.py` measures the latencies; this checks the mechanisms: searches take
no bank lock on Qdrant Edge (local mode, not thread-safe, still runs one call at a time), a
write lets waiting searches run between its steps (not in a bulk import), and the product's
own processes run numpy's BLAS on one thread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from memento.console import ONE_BLAS_THREAD, one_blas_thread
from memory import Case, CaseBank
from memory.bank.records import Visit
from memory.engines import edge_collection

DIM = 8
ROOT = Path(__file__).resolve().parents[2]


def _case(question: str) -> Case:
    now = time.time()
    return Case(id="", namespace="ns", question=question, reward=1.0, created_at=now,
                updated_at=now)  # fmt: skip


def _search_while_a_write_is_held(bank: CaseBank) -> tuple[bool, list[str]]:
    """Hold a case write inside the engine, search meanwhile: (whether the search was done
    while the write was held, the questions it found)."""
    entered, release = threading.Event(), threading.Event()
    found: list[str] = []
    upsert = bank._cases.upsert

    def held_upsert(points: object) -> None:
        entered.set()
        release.wait(10)
        upsert(points)  # type: ignore[arg-type]

    bank._cases.upsert = held_upsert  # type: ignore[method-assign]
    writer = threading.Thread(target=bank.add, args=(_case("being written"), [0.0] * 7 + [1.0]))
    writer.start()
    assert entered.wait(10)

    def search() -> None:
        hits = bank.search([1.0] + [0.0] * 7, namespace="ns", limit=3)
        found.extend(h.case.question for h in hits)

    reader = threading.Thread(target=search)
    reader.start()
    reader.join(timeout=1.0)
    during = not reader.is_alive()
    release.set()
    reader.join(10)
    writer.join(10)
    return during, found


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_a_search_waits_for_a_write_only_where_the_engine_needs_it(
    tmp_path: Path, engine: str
) -> None:
    with CaseBank(f"{engine}://{tmp_path / 'bank'}", dim=DIM) as bank:
        bank.add(_case("already there"), [1.0] + [0.0] * 7)
        during, found = _search_while_a_write_is_held(bank)
    assert found[0] == "already there"
    assert during is (engine == "edge")  # local mode's collections are not thread-safe


def _visits(n: int) -> list[tuple[Visit, list[float]]]:
    state = np.random.default_rng(0).standard_normal(DIM).tolist()
    now = time.time()
    visits = [
        Visit(
            id=f"00000000-0000-0000-0000-{i:012d}",
            case_id=f"c{i}",
            namespace="ns",
            target=1.0,
            run_id=f"run-{i}",  # a step each
            created_at=now,
        )
        for i in range(n)
    ]
    return [(visit, state) for visit in visits]


def test_a_write_lets_searches_in_between_its_steps_but_not_in_a_bulk_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(edge_collection.time, "sleep", sleeps.append)
    with CaseBank(str(tmp_path / "bank"), dim=DIM) as bank:
        bank.add_visits(_visits(20))
        steps = -(-20 // edge_collection.POINTS_PER_STEP) + 1  # each step's points, then the update
        assert sleeps == [0] * steps
        sleeps.clear()
        with bank.bulk_import():
            bank.add_visits(_visits(20))
        assert sleeps == []
        assert bank.count_visits() == 20  # the same ids: written again, all of them kept


def test_one_blas_thread_is_a_default_the_user_can_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ONE_BLAS_THREAD:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "3"
    assert os.environ["MKL_NUM_THREADS"] == "1"


WATCH_NUMPY = """
import os, sys
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy":
            print("numpy loads with", os.environ.get("OPENBLAS_NUM_THREADS"), flush=True)
        return None
sys.meta_path.insert(0, Watch())
sys.argv = ["memento", "cases", "list", "--help"]
from memento.console import main
try:
    main()
except SystemExit:
    pass
import numpy  # where `--help` needs none, the rest of the process loads it after the CLI began
"""


@pytest.mark.parametrize("given", [None, "2"])
def test_the_command_line_loads_numpy_on_one_blas_thread_unless_told(given: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ONE_BLAS_THREAD}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    done = subprocess.run(
        [sys.executable, "-c", WATCH_NUMPY], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    loads = [line for line in done.stdout.splitlines() if line.startswith("numpy loads")]
    assert loads[0] == f"numpy loads with {given or '1'}"


def test_langgraph_dev_gets_the_same_blas_default() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert config["env"] == ONE_BLAS_THREAD
