"""Records of `CaseBank` as stored (ids, payloads, vectors): export, import and moving a bank
between engines copy these, so nothing is re-embedded and no id, attempt or time changes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from memory.errors import EmbeddingSizeMismatchError
from memory.store import EVERYWHERE, StoredPoint

if TYPE_CHECKING:
    from memory.casebank import CaseBank


class BankPoints:
    """The raw-record methods of `CaseBank`."""

    def copy_to(self: CaseBank, target: CaseBank, *, batch: int = 1_000) -> tuple[int, int]:
        """Copy every case and visit, as stored (ids, attempts, times), into another bank.

        The way to move a bank between engines, e.g. from Qdrant's local mode to Qdrant Edge or
        to a server. Returns the numbers of cases and visits copied.
        """
        if target.dim != self.dim:
            raise EmbeddingSizeMismatchError(target.cases_collection, target.dim, self.dim)
        with target.bulk_import():
            return target.put_points(self.stored_points(), batch=batch)

    def stored_points(self: CaseBank) -> Iterator[tuple[str, StoredPoint]]:
        """Every record as stored, with its vector: ("cases" | "visits", point); cases first."""
        for kind, collection in (("cases", self._cases), ("visits", self._visits)):
            for point in self._locked(collection.scroll(EVERYWHERE, with_vectors=True)):
                yield kind, point

    def put_points(
        self: CaseBank, points: Iterable[tuple[str, StoredPoint]], *, batch: int = 1_000
    ) -> tuple[int, int]:
        """Store records exactly as given (ids, payloads, vectors); returns (cases, visits)."""
        counts = {"cases": 0, "visits": 0}
        sinks = {"cases": self._cases, "visits": self._visits}
        pending: dict[str, list[StoredPoint]] = {"cases": [], "visits": []}

        def flush(kind: str) -> None:
            with self._lock:
                sinks[kind].upsert([(p, p.vector or []) for p in pending[kind]])
            counts[kind] += len(pending[kind])
            pending[kind] = []

        for kind, point in points:
            if point.vector is None or len(point.vector) != self.dim:
                size = 0 if point.vector is None else len(point.vector)
                raise EmbeddingSizeMismatchError(self.cases_collection, self.dim, size)
            pending[kind].append(point)
            if len(pending[kind]) >= batch:
                flush(kind)
        for kind in ("cases", "visits"):
            if pending[kind]:
                flush(kind)
        return counts["cases"], counts["visits"]
