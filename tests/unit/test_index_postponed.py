"""While a small bank is searched from its exact copy, Qdrant Edge builds no index as it grows.

Edge's index build holds the GIL for seconds, pausing every retrieve and the event loop; a
collection answered from memory does not need that index, so the build waits until the copy
gives up (the bank outgrew it) or someone asks for it (`CaseBank.optimize`, a bulk import).
`benchmarks/live_growth.py` measures the pauses; this checks who starts a build and when.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from memory import Case, CaseBank
from memory.engines import edge, exact_copy

DIM = 16


def _grow(bank: CaseBank, rng: np.random.Generator, first: int, n: int) -> list[list[float]]:
    """Add cases q<first>.. one at a time, as finishing tasks do; returns their vectors."""
    now = time.time()
    vectors = rng.standard_normal((n, DIM)).tolist()
    for i, vector in enumerate(vectors, start=first):
        case = Case(id="", namespace="ns", question=f"q{i}", reward=1.0, created_at=now,
                    updated_at=now)  # fmt: skip
        bank.add(case, vector)
    return vectors


def _builds(bank: CaseBank) -> bool:
    builder = bank._cases._builder
    if builder is not None:
        builder.join()
    return builder is not None


@pytest.fixture(autouse=True)
def _build_every_50_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge, "OPTIMIZE_AFTER", 50)


def test_no_index_is_built_while_the_copy_serves(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    with CaseBank(str(tmp_path / "bank"), dim=DIM) as bank:
        _grow(bank, rng, 0, 10)
        assert bank.search(rng.standard_normal(DIM).tolist(), namespace="ns", limit=3)
        bank.wait_until_warm()  # the copy the first search started building
        vectors = _grow(bank, rng, 10, 200)  # four times the build threshold
        assert not _builds(bank)
        found = bank.search(vectors[-1], namespace="ns", limit=5)
        assert found[0].case.question == "q209" and found[0].similarity > 0.999
        assert bank.count() == 210


def test_a_bank_that_outgrows_its_copy_gets_its_index_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exact_copy, "MAX_BYTES", 100 * DIM * 4)  # a copy of 100 cases at most
    rng = np.random.default_rng(1)
    with CaseBank(str(tmp_path / "bank"), dim=DIM) as bank:
        _grow(bank, rng, 0, 10)
        bank.search(rng.standard_normal(DIM).tolist(), namespace="ns", limit=3)
        bank.wait_until_warm()
        _grow(bank, rng, 10, 80)
        assert not _builds(bank)
        _grow(bank, rng, 90, 120)  # past 100: the copy gives up, the engine indexes
        assert _builds(bank)


def test_a_bank_nobody_searches_is_indexed_as_before(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    with CaseBank(str(tmp_path / "bank"), dim=DIM) as bank:
        _grow(bank, rng, 0, 120)
        assert _builds(bank)
