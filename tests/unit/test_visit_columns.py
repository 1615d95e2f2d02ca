"""Kernel Q reads the visits steps give their cases as columns: a step whose payload does not
hold a number target and time is skipped (warned once), never read as some other number."""

from __future__ import annotations

from memory.bank.stored_records import visit_columns, visit_matches
from memory.engines.protocol import GroupHit


def test_columns_hold_each_well_typed_step_once_per_case_in_order() -> None:
    hits = [
        GroupHit({"id": "s1", "target": 1.0, "created_at": 5.0}, 0.9, "a"),
        GroupHit({"id": "s2", "target": 0, "created_at": 6}, 0.8, "b"),  # ints: numbers
        GroupHit({"id": "s3", "target": "0.5", "created_at": 7.0}, 0.7, "c"),  # a string
        GroupHit({"id": "s4", "target": 1.0}, 0.6, "d"),  # no time
        GroupHit({"id": "s1", "target": 1.0, "created_at": 5.0}, 0.9, "e"),  # s1 read e too
    ]
    columns = visit_columns(hits)
    assert columns.case_ids == ["a", "b", "e"]
    assert columns.cosines.tolist() == [0.9, 0.8, 0.9]
    assert columns.targets.tolist() == [1.0, 0.0, 1.0]
    assert columns.times.tolist() == [5.0, 6.0, 5.0]
    matches = visit_matches(hits, retrieved=False)
    assert [(m.case_id, m.target, m.retrieved) for m in matches] == [
        ("a", 1.0, False), ("b", 0.0, False), ("e", 1.0, False),
    ]  # fmt: skip
