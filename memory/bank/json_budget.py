"""Any JSON value cut, by its shape, until its serialized form fits a byte budget.

What tools and models leave in a trajectory has any shape: a tool call with 50,000 arguments, a
200k-key object, a value nested a thousand deep. Cutting every string is not enough (50,000
short arguments made a 739 KB case), and cutting the serialized text would leave something that
is no longer the value. So a value is bounded by its shape, level after level (`LEVELS`): every
string, every key, every object's entries, every list's items and the nesting depth get tighter
bounds until the UTF-8 JSON fits.

Callers rely on two things. The work is bounded by the bounds, not by the input (an object's
first entries are read, never all of them), so a huge value costs little to cut. And a value
cut once is left as it is when cut again: every cut lands inside the bounds that made it, and
each level's bounds lie inside the one before. The bank derives a case's id from what it
stores, so one value must have exactly one cut form, however often it passes a cap.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MORE_KEYS = "…"
"""The key under which a cut object says how many entries were cut."""
TOO_DEEP = "[cut: nested too deep]"


@dataclass(frozen=True)
class Bounds:
    """How much of a value one level keeps: characters of a string (or key), entries of an
    object, items of a list (markers included), and containers nested in one another."""

    chars: int
    keys: int
    items: int
    depth: int


LEVELS = (
    Bounds(chars=1_000, keys=50, items=20, depth=8),
    Bounds(chars=300, keys=20, items=10, depth=6),
    Bounds(chars=100, keys=10, items=5, depth=4),
    Bounds(chars=30, keys=5, items=3, depth=3),
)
"""From the loosest (what a stored trajectory field always gets) to the tightest."""


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, saying how much was cut (a text within the limit is
    returned as it is, so cutting twice cuts once)."""
    if len(text) <= limit:
        return text
    total = len(text)
    longest = len(f"… [cut {total} of {total} characters]")
    if longest >= limit:  # no room to say how much: just mark the cut
        return text[: limit - 1] + "…"
    kept = limit - longest
    return f"{text[:kept]}… [cut {total - kept} of {total} characters]"


def json_size(value: Any) -> int:
    """Bytes of `value` as stored: UTF-8 JSON (anything JSON has no type for, as its str)."""
    return len(json.dumps(value, ensure_ascii=False, default=str).encode())


def bounded(value: Any, bounds: Bounds, depth: int = 0) -> Any:
    """`value` with every part within `bounds` (`depth` is how deep it already sits)."""
    if isinstance(value, str):
        return cut(value, bounds.chars)
    if isinstance(value, Mapping | list | tuple) and depth >= bounds.depth:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return _bounded_object(value, bounds, depth)
    if isinstance(value, list | tuple):
        kept = bounds.items if len(value) <= bounds.items else bounds.items - 1
        items = [bounded(item, bounds, depth + 1) for item in value[:kept]]
        if len(value) > kept:
            items.append(f"[{len(value) - kept} more items cut]")
        return items
    return value


def _bounded_object(value: Mapping, bounds: Bounds, depth: int) -> dict[str, Any]:
    kept = bounds.keys if len(value) <= bounds.keys else bounds.keys - 1
    result = {
        cut(str(key), bounds.chars): bounded(item, bounds, depth + 1)
        for key, item in itertools.islice(value.items(), kept)
    }
    if len(value) > kept:
        result[MORE_KEYS] = f"{len(value) - kept} more keys cut"
    return result
