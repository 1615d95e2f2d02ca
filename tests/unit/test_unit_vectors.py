"""A vector held by several points is kept once, and freed with the last of them."""

from __future__ import annotations

import numpy as np

from memory.bank.steps import step_numbers
from memory.bank.stored_records import visit_columns
from memory.engines.exact_index import ExactIndex
from memory.engines.protocol import EVERYWHERE
from memory.engines.unit_vectors import UnitVectors


def test_a_shared_vector_takes_one_row_until_its_last_point_goes() -> None:
    vectors = UnitVectors(3)
    a, b = vectors.unit(np.array([[3.0, 0, 4], [0, 1, 0]]))
    rows = [vectors.add(a), vectors.add(a.copy()), vectors.add(b)]
    assert rows[0] == rows[1] != rows[2] and len(vectors) == 2
    vectors.release(rows[0])
    assert len(vectors) == 2  # one point still holds it
    vectors.release(rows[1])
    assert len(vectors) == 1
    c = vectors.unit(np.array([[1.0, 1, 0]]))[0]
    assert vectors.add(c) == rows[0]  # the freed row is reused
    assert vectors.add(a) not in (rows[0], rows[2])  # a is new again: a row of its own
    query = vectors.unit(np.array([[1.0, 2, 3]]))[0]
    held = np.array([rows[2], rows[0], rows[2]])
    np.testing.assert_allclose(vectors.cosines(query, held), [b @ query, c @ query, b @ query])


def test_half_precision_holds_the_engines_values_widened() -> None:
    vectors = UnitVectors(4, half_precision=True)
    raw = np.array([[0.1, 0.2, 0.3, 0.4]])
    unit = raw / np.linalg.norm(raw)
    held = vectors.unit(raw)
    assert held.dtype == np.float32
    assert held.tolist() == unit.astype(np.float32).astype(np.float16).astype(np.float32).tolist()


def test_an_index_shares_vectors_among_points_and_releases_them() -> None:
    index = ExactIndex(2)
    index.upsert([(f"v{i}", {"case_id": "a", "target": 1.0}, [1.0, 1.0]) for i in range(5)])
    index.upsert([("w", {"case_id": "b", "target": 0.0}, [1.0, 0.0])])
    assert len(index) == 6 and index.distinct_vectors == 2
    index.upsert([("v0", {"case_id": "a", "target": 1.0}, [0.0, 1.0])])  # moved: a new vector
    assert index.distinct_vectors == 3
    index.delete(["v0", "w"])
    assert len(index) == 4 and index.distinct_vectors == 1


def test_values_per_group_are_the_payload_reads_columns() -> None:
    """Each step's target read when written gives what reading the payloads gives, a step in
    each group of the cases it read, and a payload that does not hold numbers sends the
    caller back to the payloads (None)."""
    rng = np.random.default_rng(5)
    index = ExactIndex(8)
    points = [
        (f"p{i}", {"id": f"p{i}", "read": [f"c{i % 4}", f"c{(i + 1) % 4}"],
                   "target": float(i % 3), "created_at": float(i)},
         rng.standard_normal(8).tolist())
        for i in range(60)
    ]  # fmt: skip
    index.upsert(points)
    query = rng.standard_normal(8).tolist()
    args = {"key": "read", "groups": ["c2", "c0", "c9"], "per_group": 5, "where": EVERYWHERE}
    hits = index.nearest_per_group(query, **args)  # type: ignore[arg-type]
    found = index.nearest_values_per_group(query, value_of=step_numbers, **args)  # type: ignore[arg-type]
    assert hits is not None and found is not None
    columns = visit_columns(hits)
    assert [["c2", "c0", "c9"][g] for g in found.groups.tolist()] == columns.case_ids
    assert columns.case_ids == ["c2"] * 5 + ["c0"] * 5  # each step counted in both its groups
    in_c2 = [p for p in points if "c2" in p[1]["read"]]
    nearest = sorted(in_c2, key=lambda p: -float(np.dot(query, p[2]) / np.linalg.norm(p[2])))
    assert [h.payload["id"] for h in hits[:5]] == [p[0] for p in nearest[:5]]
    assert found.scores.tolist() == columns.cosines.tolist()
    assert found.values[:, 0].tolist() == columns.targets.tolist()
    assert found.values[:, 1].tolist() == columns.times.tolist()
    index.upsert([("p2", {"read": ["c2"], "target": "1.0", "created_at": 2.0}, query)])  # lax
    assert index.nearest_values_per_group(query, value_of=step_numbers, **args) is None  # type: ignore[arg-type]
