"""Matching an item's value against a store `filter`, as LangGraph's own stores do.

A filter maps field names to wanted values: plain values compare equal, nested dicts match
nested fields, and operator dicts compare (`$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`);
`{"$and": [filter, ...]}` (what LangGraph Server's auth handlers add) needs every filter.
A malformed filter (an `$and` that is not a list of filters, an unknown operator) is refused
with a `FilterError` naming what is wrong, before any value is read (`check_filter`).
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
_OPERATORS = ("$eq", "$ne", *_ORDER)


class FilterError(ValueError):
    """A store filter that cannot be read; the message says where."""


def check_filter(wanted: Any, where: str = "filter") -> None:
    """Raise FilterError unless `wanted` is a filter: a dict whose `$and` is a list of
    filters and whose operator dicts use known operators."""
    if not isinstance(wanted, Mapping):
        raise FilterError(f"{where} must be an object of field: condition, got {wanted!r:.80}")
    for key, condition in wanted.items():
        if key == "$and":
            if not isinstance(condition, list | tuple):
                raise FilterError(f"{where}: $and must be a list of filters, got {condition!r:.80}")
            for n, part in enumerate(condition):
                check_filter(part, f"{where}: $and[{n}]")
        elif isinstance(condition, Mapping):
            if not any(str(op).startswith("$") for op in condition):
                check_filter(condition, f"{where}: {key}")
            elif unknown := [op for op in condition if op not in _OPERATORS]:
                raise FilterError(
                    f"{where}: unknown operator {unknown[0]!r} for {key!r}; use "
                    f"{' '.join(_OPERATORS)}"
                )


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
