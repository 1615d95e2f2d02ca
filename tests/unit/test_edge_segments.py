"""Qdrant Edge's case collection as it grows past the exact copy: int8 copies searched, exact
cosines returned, and index builds that stop merging at a bounded segment size (issue 29)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from memory import Case, CaseBank
from memory.engines import edge, edge_shards, exact_copy

DIM = 8
CASES = 2_000
BYTES_PER_VECTOR = 4 * DIM
SEGMENT_KB = 8
"""A segment bound of 256 vectors of 8 floats."""


def _case(question: str) -> Case:
    now = time.time()
    return Case(
        id="", namespace="n", question=question, plan=[], trajectory=[], answer="", reward=1.0,
        created_at=now, updated_at=now,
    )  # fmt: skip


@pytest.fixture
def grown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CaseBank, np.ndarray]]:
    """A bank grown by 10 writes of 200 cases, each followed by its index build, with no exact
    copy to answer for the engine (it gives up past 10 vectors)."""
    monkeypatch.setattr(edge, "OPTIMIZE_AFTER", 100)
    monkeypatch.setattr(edge_shards, "INDEXING_THRESHOLD_KB", 1)
    monkeypatch.setattr(edge_shards, "MAX_SEGMENT_KB", SEGMENT_KB)
    monkeypatch.setattr(exact_copy, "MAX_BYTES", 10 * BYTES_PER_VECTOR)
    vectors = np.random.default_rng(3).standard_normal((CASES, DIM))
    bank = CaseBank(str(tmp_path / "bank"), dim=DIM)
    for start in range(0, CASES, 200):
        bank.add_many([(_case(f"q{i}"), list(vectors[i])) for i in range(start, start + 200)])
        bank._cases.wait_for_index()  # type: ignore[attr-defined]
    yield bank, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    bank.close()


def test_index_builds_stop_merging_at_the_segment_bound(grown: tuple[CaseBank, np.ndarray]) -> None:
    bank, _ = grown
    info = bank._cases.shard.info()  # type: ignore[attr-defined]
    assert info.indexed_vectors_count == CASES
    at_most = SEGMENT_KB * 1024 // BYTES_PER_VECTOR
    assert info.segments_count >= CASES // at_most  # unbounded, builds merge into 1-2 segments


def test_a_search_over_int8_copies_returns_the_exact_nearest_and_their_exact_cosines(
    grown: tuple[CaseBank, np.ndarray],
) -> None:
    bank, unit = grown
    for query in np.random.default_rng(4).standard_normal((5, DIM)):
        query = query / np.linalg.norm(query)
        cosines = unit @ query
        found = bank.search(list(query), namespace="n", limit=8)
        assert [s.case.question for s in found] == [f"q{i}" for i in np.argsort(-cosines)[:8]]
        for hit in found:  # without rescoring, int8 scores were off by ~0.01
            assert hit.similarity == pytest.approx(cosines[int(hit.case.question[1:])], abs=1e-5)
