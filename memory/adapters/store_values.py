"""Matching an item's value against a store `filter`, as LangGraph's own stores do.

A filter maps field names to wanted values: plain values compare equal, nested dicts match
nested fields, and operator dicts compare (`$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`);
`{"$and": [filter, ...]}` (what LangGraph Server's auth handlers add) needs every filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ORDER = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def matches_filter(value: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether `value` satisfies every condition of the filter `wanted`."""
    for key, condition in wanted.items():
        if key == "$and":
            if not all(matches_filter(value, part) for part in condition):
                return False
        elif not _matches(value.get(key), condition):
            return False
    return True


def _matches(actual: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping):
        if any(str(key).startswith("$") for key in condition):
            return all(_compare(actual, op, want) for op, want in condition.items())
        return isinstance(actual, Mapping) and matches_filter(actual, condition)
    return actual == condition


def _compare(actual: Any, operator: str, want: Any) -> bool:
    if operator == "$eq":
        return actual == want
    if operator == "$ne":
        return actual != want
    if operator not in _ORDER:
        raise ValueError(f"unknown filter operator {operator!r}; use $eq $ne $gt $gte $lt $lte")
    try:
        return bool(_ORDER[operator](float(actual), float(want)))
    except (TypeError, ValueError):
        return False
