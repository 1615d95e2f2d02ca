"""Kernel Q reads visits as columns; they hold exactly the visits `visit_match` accepts."""

from __future__ import annotations

from typing import Any

from memory.bank.stored_records import visit_columns, visit_match


def test_columns_hold_what_visit_match_accepts_in_order() -> None:
    hits: list[tuple[dict[str, Any], float]] = [
        ({"case_id": "a", "target": 1.0, "retrieved": True}, 0.9),
        ({"case_id": "b", "target": 0}, 0.8),  # an int target; no field: read
        ({"case_id": "c", "target": "0.5", "retrieved": False}, 0.7),  # lax: a numeric string
        ({"case_id": "d", "target": "high"}, 0.6),  # does not parse: skipped
        ({"case_id": 7, "target": 1.0}, 0.5),  # not a string id: skipped
        ({"case_id": "e", "target": 1.0, "retrieved": "maybe"}, 0.4),  # skipped
    ]
    columns = visit_columns(hits)
    matches = [m for p, s in hits if (m := visit_match(str(p.get("case_id")), p, s))]
    assert columns.case_ids == [m.case_id for m in matches] == ["a", "b", "c"]
    assert columns.cosines.tolist() == [m.cosine for m in matches]
    assert columns.targets.tolist() == [m.target for m in matches] == [1.0, 0.0, 0.5]
