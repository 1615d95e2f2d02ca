"""The filter columns of an exact copy: each payload field a filter names, as integer codes.

A filter on a field is then one lookup per row (`FilterColumn.wanted`), and a field grouped by
(a step's `read` case ids) also keeps the rows of each value, so a group is found without a
scan. A row whose field holds a list is in the group of each of its values; a filter on such a
field is left to the engine.
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

Code = int | tuple[int, ...]
"""A row's value as codes: one, or one per item of a list."""


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
        self.members: dict[int, tuple[int, ...]] = {}  # the codes of rows holding a list

    def index_rows(self, size: int) -> dict[int, set[int]]:
        if self.rows is None:
            self.rows = {}
            for row, code in enumerate(self.codes[:size].tolist()):
                for each in self.members.get(row, ()) if code == UNFILTERABLE else (code,):
                    if each >= 0:
                        self.rows.setdefault(each, set()).add(row)
        return self.rows

    def code(self, payload: dict[str, Any], key: str) -> Code:
        if key not in payload:
            return MISSING
        value = payload[key]
        if isinstance(value, list):
            return tuple(self._code_of(item) for item in value)
        if isinstance(value, dict):
            return UNFILTERABLE
        return self._code_of(value)

    def _code_of(self, value: Any) -> int:
        key_of_value = filter_key(value)
        if key_of_value is None:
            return MISSING
        return self.vocabulary.setdefault(key_of_value, len(self.vocabulary))

    def value_at(self, row: int) -> Code:
        """The row's codes as `set` takes them (to move a row)."""
        return self.members.get(row, int(self.codes[row]))

    def set(self, row: int, code: Code) -> None:
        held = self.value_at(row)
        listed = isinstance(code, tuple)
        flat = UNFILTERABLE if listed else code
        self.unfilterable += int(flat == UNFILTERABLE) - int(self.codes[row] == UNFILTERABLE)
        self.codes[row] = flat
        if listed:
            self.members[row] = code  # type: ignore[assignment]
        else:
            self.members.pop(row, None)
        if self.rows is not None and held != code:
            for each in held if isinstance(held, tuple) else (held,):
                if each >= 0:
                    self.rows[each].discard(row)
            for each in code if isinstance(code, tuple) else (code,):
                if each >= 0:
                    self.rows.setdefault(each, set()).add(row)

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
