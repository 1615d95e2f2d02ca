"""The filter columns of an exact copy: each payload field a filter names, as integer codes.

A filter on a field is then one lookup per row (`FilterColumn.wanted`), and a field grouped by
(a visit's `case_id`) also keeps the rows of each value, so a group is found without a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from memory.engines.protocol import Where

MISSING = -1
"""The code of a missing (or unmatchable) value: no filter value has it."""
UNFILTERABLE = -2
"""The code of a list or object value: a filter on its field is left to the engine."""


def filter_key(value: Any) -> tuple[str, Any] | None:
    """A hashable key that tells True from 1 (Qdrant does); None for a value no match names."""
    if isinstance(value, bool | np.bool_):
        return ("bool", bool(value))
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, int | np.integer):
        return ("int", int(value))
    return None


class FilterColumn:
    """The code of one payload field's value for every row, and, once the field is used to
    group by, the rows holding each code (so a group's rows are found without a scan)."""

    def __init__(self, capacity: int) -> None:
        self.codes = np.full(capacity, MISSING, dtype=np.int32)
        self.vocabulary: dict[tuple[str, Any], int] = {}
        self.unfilterable = 0
        self.rows: dict[int, set[int]] | None = None

    def index_rows(self, size: int) -> dict[int, set[int]]:
        if self.rows is None:
            self.rows = {}
            for row, code in enumerate(self.codes[:size].tolist()):
                if code >= 0:
                    self.rows.setdefault(code, set()).add(row)
        return self.rows

    def code(self, payload: dict[str, Any], key: str) -> int:
        if key not in payload:
            return MISSING
        value = payload[key]
        if isinstance(value, list | dict):
            return UNFILTERABLE
        key_of_value = filter_key(value)
        if key_of_value is None:
            return MISSING
        return self.vocabulary.setdefault(key_of_value, len(self.vocabulary))

    def set(self, row: int, code: int) -> None:
        held = int(self.codes[row])
        self.unfilterable += int(code == UNFILTERABLE) - int(held == UNFILTERABLE)
        self.codes[row] = code
        if self.rows is not None and held != code:
            if held >= 0:
                self.rows[held].discard(row)
            if code >= 0:
                self.rows.setdefault(code, set()).add(row)

    def wanted(self, values: Sequence[Any]) -> np.ndarray:
        """A lookup table: which codes (shifted by 2 past the two special ones) match."""
        table = np.zeros(len(self.vocabulary) + 2, dtype=bool)
        for value in values:
            code = self.vocabulary.get(filter_key(value) or ("", None))
            if code is not None:
                table[code + 2] = True
        return table


def matching_rows(
    column_of: Callable[[str], FilterColumn | None], where: Where, rows: np.ndarray | int
) -> np.ndarray | None:
    """Which of these rows (or the first `rows` rows) match `where`, a bool each; None when a
    condition names a field with no column or one holding lists or objects (declined)."""
    size = rows if isinstance(rows, int) else len(rows)
    matching = np.ones(size, dtype=bool)
    conditions = [(m, True) for m in where.must] + [(m, False) for m in where.must_not]
    for condition, wanted in conditions:
        column = column_of(condition.key)
        if column is None or column.unfilterable:
            return None
        codes = column.codes[:size] if isinstance(rows, int) else column.codes[rows]
        hits = column.wanted(condition.values)[codes + 2]
        matching &= hits if wanted else ~hits
    return matching
