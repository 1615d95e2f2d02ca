"""Unit vectors kept once each, however many points share one, as float32 rows.

Every visit of a task holds the task's state: 4 visits per task with shared credit, 32 (one per
candidate) with contrastive credit, the product's default. Kept once, a bank's visits take the
memory of its tasks, not of its candidates times its tasks. Rows are float32 even where the
engine stores float16 (the vector is rounded to float16 first, so its values are the engine's):
widening half-precision rows at every search cost ten times the product itself.
"""

from __future__ import annotations

import numpy as np


class UnitVectors:
    """Reference-counted rows; a freed row is reused by the next new vector."""

    def __init__(self, dim: int, *, half_precision: bool = False) -> None:
        self.dim = dim
        self.half_precision = half_precision
        self.matrix = np.empty((1024, dim), dtype=np.float32)
        self._refs = np.zeros(1024, dtype=np.int64)
        self._row_of_hash: dict[int, int] = {}
        self._free: list[int] = []
        self._used = 0  # rows ever handed out (the matrix's filled prefix)

    def __len__(self) -> int:
        """Distinct vectors held."""
        return self._used - len(self._free)

    @property
    def nbytes(self) -> int:
        return len(self) * self.dim * 4

    def unit(self, vectors: np.ndarray) -> np.ndarray:
        """Rows scaled to unit length (cosine), with the engine's precision."""
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1, norms)
        if self.half_precision:
            vectors = vectors.astype(np.float16).astype(np.float32)
        return vectors

    def add(self, vector: np.ndarray) -> int:
        """The row holding this (unit) vector, shared with any point already holding it."""
        key = hash(vector.tobytes())
        row = self._row_of_hash.get(key)
        if row is not None and np.array_equal(self.matrix[row], vector):
            self._refs[row] += 1
            return row
        if self._free:
            row = self._free.pop()
        else:
            row = self._used
            self._used += 1
            self._grow(self._used)
        self.matrix[row] = vector
        self._refs[row] = 1
        self._row_of_hash[key] = row  # a hash collision only loses the sharing of one vector
        return row

    def release(self, row: int) -> None:
        """One point fewer holds this row; the last one frees it."""
        self._refs[row] -= 1
        if self._refs[row] == 0:
            key = hash(self.matrix[row].tobytes())
            if self._row_of_hash.get(key) == row:
                del self._row_of_hash[key]
            self._free.append(row)

    def cosines(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The cosine of a unit query with the vector of each of these rows (rows may repeat:
        each distinct one is multiplied once)."""
        if len(rows) >= self._used // 2:
            return (self.matrix[: self._used] @ query)[rows]
        distinct, where = np.unique(rows, return_inverse=True)
        return (self.matrix[distinct] @ query)[where]

    def _grow(self, size: int) -> None:
        capacity = len(self.matrix)
        if size <= capacity:
            return
        capacity = max(size, 2 * capacity)
        matrix = np.empty((capacity, self.dim), dtype=np.float32)
        matrix[: len(self.matrix)] = self.matrix
        refs = np.zeros(capacity, dtype=np.int64)
        refs[: len(self._refs)] = self._refs
        self.matrix, self._refs = matrix, refs
