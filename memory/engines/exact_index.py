"""An exact, in-memory copy of a small collection: every search is one matrix-vector product.

Below a few tens of thousands of points, the least a search can cost is an exact scan of a
contiguous float matrix; a call into the engine (query planning, filters, payload encoding)
costs several times that. `ExactIndex` keeps each point's unit vector, payload and the codes of
the payload values that filters name, updated by the same writes as the engine, and answers
`search` and `nearest_per_group` exactly as the engine would (cosine, Qdrant's filter meaning:
a missing field matches nothing, `must_not` of it keeps the point).

It declines (returns None) a filter on a field holding lists or objects: the caller then asks
the engine, whose meaning for those it does not copy.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from memory.engines.exact_columns import MISSING, FilterColumn, matching_rows
from memory.engines.protocol import (
    GroupHit,
    GroupValues,
    PackedPayload,
    ScoredPoint,
    ValueOf,
    Where,
    unpacked,
)
from memory.engines.unit_vectors import UnitVectors


class ExactIndex:
    """Unit vectors, payloads and filter columns of a collection's points, rows kept dense."""

    def __init__(
        self,
        dim: int,
        *,
        half_precision: bool = False,
        keys: Sequence[str] | None = None,
        packed: bool = False,
    ) -> None:
        """`half_precision`: the engine stores these vectors in float16, and the copy holds
        the same values. `keys`: only these payload keys are kept (a visit's payload is most
        of its memory, and a retrieve reads four of its fields), their strings once each; a
        search needing any other (every `search`: it returns whole payloads) is declined.
        `packed`: whole payloads are kept as their JSON text (`PackedPayload`), which `search`
        hands out as it is; the filter columns are read before packing."""
        self.dim = dim
        self.packed = packed
        self._keys = None if keys is None else frozenset(keys)
        self._strings: dict[str, str] = {}
        self.half_precision = half_precision
        self._vectors = UnitVectors(dim, half_precision=half_precision)
        self._vector_rows = np.empty(1024, dtype=np.intp)
        self._value_of: ValueOf | None = None  # the numbers `nearest_values_per_group` reads
        self._values = np.full((1024, 2), np.nan)
        self._ids: list[str] = []
        self._payloads: list[dict[str, Any] | PackedPayload] = []
        self._row_of: dict[str, int] = {}
        self._columns: dict[str, FilterColumn] = {}

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def distinct_vectors(self) -> int:
        return len(self._vectors)

    # -- writes --------------------------------------------------------------------------------
    def upsert(self, points: Sequence[tuple[str, dict[str, Any], Sequence[float]]]) -> None:
        """Insert or replace points by id (vectors are scaled to unit length, as cosine is)."""
        if not points:
            return
        vectors = self._unit_rows([vector for _, _, vector in points])
        for (point_id, payload, _), vector in zip(points, vectors, strict=True):
            if self._keys is not None:
                payload = {k: self._kept(v) for k, v in payload.items() if k in self._keys}
            held = json.dumps(payload) if self.packed else payload  # packed: one str
            vector_row = self._vectors.add(vector)
            row = self._row_of.get(point_id)
            if row is None:
                row = len(self._ids)
                self._grow(row + 1)
                self._ids.append(point_id)
                self._payloads.append(held)
                self._row_of[point_id] = row
            else:
                self._payloads[row] = held
                self._vectors.release(int(self._vector_rows[row]))
            self._vector_rows[row] = vector_row
            if self._value_of is not None:
                self._values[row] = self._value(payload)
            for key, column in self._columns.items():
                column.set(row, column.code(payload, key))

    def _unit_rows(self, vectors: Sequence[Sequence[float]]) -> np.ndarray:
        """A unit row per vector, each distinct object converted once: a task's visits share
        its state, and converting 32 lists of floats was half the time of their write."""
        first_row: dict[int, int] = {}
        rows = [first_row.setdefault(id(vector), len(first_row)) for vector in vectors]
        distinct = list({id(vector): vector for vector in vectors}.values())
        return self._vectors.unit(np.asarray(distinct))[rows]

    def delete(self, ids: Sequence[str]) -> None:
        """Remove points by id; the last row moves into each freed one (rows stay dense)."""
        for point_id in ids:
            row = self._row_of.pop(point_id, None)
            if row is None:
                continue
            last = len(self._ids) - 1
            self._vectors.release(int(self._vector_rows[row]))
            if row != last:
                moved = self._ids[last]
                self._ids[row], self._payloads[row] = moved, self._payloads[last]
                self._vector_rows[row] = self._vector_rows[last]
                self._values[row] = self._values[last]
                self._row_of[moved] = row
                for column in self._columns.values():
                    column.set(row, column.value_at(last))
            for column in self._columns.values():
                column.set(last, MISSING)
            self._ids.pop()
            self._payloads.pop()

    def delete_where(self, where: Where) -> bool:
        """Remove the matching points; False (nothing removed) where the filter is declined."""
        rows = self._matching(where)
        if rows is None:
            return False
        self.delete([self._ids[row] for row in np.flatnonzero(rows)])
        return True

    def _grow(self, size: int) -> None:
        capacity = len(self._vector_rows)
        if size <= capacity:
            return
        capacity = max(size, 2 * capacity)
        vector_rows = np.empty(capacity, dtype=np.intp)
        vector_rows[: len(self._ids)] = self._vector_rows[: len(self._ids)]
        values = np.full((capacity, 2), np.nan)
        values[: len(self._ids)] = self._values[: len(self._ids)]
        self._vector_rows, self._values = vector_rows, values
        for column in self._columns.values():
            codes = np.full(capacity, MISSING, dtype=np.int32)
            codes[: len(self._ids)] = column.codes[: len(self._ids)]
            column.codes = codes

    # -- reads ---------------------------------------------------------------------------------
    def search(
        self, vector: Sequence[float], *, where: Where, limit: int
    ) -> list[ScoredPoint] | None:
        """The `limit` matching points nearest to `vector`, best first (None: filter declined,
        or payloads not kept whole)."""
        rows = None if self._keys is not None else self._matching(where)
        if rows is None:
            return None
        if limit <= 0:
            return []
        candidates = np.flatnonzero(rows)
        scores = self._cosines(vector, None if len(candidates) == len(rows) else candidates)
        if len(candidates) > limit:
            top = np.argpartition(-scores, limit - 1)[:limit]
            candidates, scores = candidates[top], scores[top]
        order = np.argsort(-scores, kind="stable")
        return [
            ScoredPoint(id=self._ids[row], score=float(score), payload=self._payloads[row])
            for row, score in zip(candidates[order].tolist(), scores[order].tolist(), strict=True)
        ]

    def nearest_per_group(
        self,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        where: Where,
        payload_keys: Sequence[str] = (),
    ) -> list[GroupHit] | None:
        """For each group in order, its `per_group` matching points nearest first, their
        payloads holding `key` and `payload_keys` (None: filter declined, or keys not kept)."""
        if self._keys is not None and not self._keys.issuperset(payload_keys):
            return None
        found = self._nearest_rows_per_group(vector, key, groups, per_group, where)
        if found is None:
            return None
        rows, ranks, scores = found
        return [
            GroupHit(unpacked(self._payloads[row]) or {}, score, groups[rank])
            for row, rank, score in zip(rows.tolist(), ranks.tolist(), scores.tolist(), strict=True)
        ]

    def nearest_values_per_group(
        self,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        where: Where,
        value_of: ValueOf,
    ) -> GroupValues | None:
        """`nearest_per_group` as columns, with each point's `value_of` numbers instead of its
        payload (read once per point, when written); None where the filter is declined or a
        point found has no numbers (the caller then reads the payloads)."""
        if value_of is not self._value_of:
            self._value_of = value_of
            for row, payload in enumerate(self._payloads):
                self._values[row] = self._value(unpacked(payload) or {})
        found = self._nearest_rows_per_group(vector, key, groups, per_group, where, newest=True)
        if found is None:
            return None
        rows, group_rank, scores = found
        values = self._values[rows]
        if np.isnan(values).any():
            return None
        return GroupValues(group_rank, scores.astype(np.float64), values)

    def _nearest_rows_per_group(
        self,
        vector: Sequence[float],
        key: str,
        groups: Sequence[str],
        per_group: int,
        where: Where,
        *,
        newest: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The rows `nearest_per_group` returns, with their group's rank and cosine. `newest`:
        among points at the same cosine (a question asked again, embedded the same), the ones
        whose second number (a visit's time) is latest come first, so the evidence kept is
        the recent evidence."""
        column = self._column(key)
        if column is None:
            return None
        rows_of = column.index_rows(len(self._ids))
        codes = [column.vocabulary.get(("str", group)) for group in groups]
        members = [rows_of.get(c, ()) if c is not None else () for c in codes]
        rows = np.fromiter(itertools.chain.from_iterable(members), dtype=np.intp)
        ranks = np.repeat(np.arange(len(codes), dtype=np.int64), [len(m) for m in members])
        matching = self._matching(where, rows)
        if matching is None:
            return None
        candidates, group_rank = rows[matching], ranks[matching]  # a row in each of its groups
        scores = self._cosines(vector, candidates)
        later = -self._values[candidates, 1] if newest else np.zeros(len(candidates))
        order = np.lexsort((later, -scores, group_rank))
        group_rank, candidates, scores = group_rank[order], candidates[order], scores[order]
        starts = np.searchsorted(group_rank, group_rank, side="left")
        keep = (np.arange(len(group_rank)) - starts) < per_group
        return candidates[keep], group_rank[keep], scores[keep]

    def _value(self, payload: dict[str, Any]) -> tuple[float, float]:
        value = self._value_of(payload) if self._value_of is not None else None
        return (np.nan, np.nan) if value is None else value

    def _cosines(self, vector: Sequence[float], rows: np.ndarray | None) -> np.ndarray:
        """The cosine of `vector` with each of these rows (None: every row, in order)."""
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        held = self._vector_rows[: len(self._ids)] if rows is None else self._vector_rows[rows]
        return self._vectors.cosines(query, held)

    def _matching(self, where: Where, rows: np.ndarray | None = None) -> np.ndarray | None:
        """Which rows (all, or these) match `where`; None when a condition is declined."""
        return matching_rows(self._column, where, len(self._ids) if rows is None else rows)

    def _kept(self, value: Any) -> Any:
        return self._strings.setdefault(value, value) if type(value) is str else value

    def _column(self, key: str) -> FilterColumn | None:
        """The field's column, made from the payloads on its first use in a filter (None: a
        field not kept)."""
        if self._keys is not None and key not in self._keys:
            return None
        column = self._columns.get(key)
        if column is None:
            column = FilterColumn(len(self._vector_rows))
            for row, payload in enumerate(self._payloads):
                column.set(row, column.code(unpacked(payload) or {}, key))
            self._columns[key] = column
        return column
