"""An import's writes, undone when they cannot all be made.

The whole-file check (`import_check`) refuses every record the bank would refuse before
anything is written, but a write can still fail by itself: a disk that fills meanwhile, an
engine error, an interrupt. So the import writes in batches through an `ImportJournal`, which
first notes what each batch changes: the ids it adds, and the records it overwrites as they
were stored (payload and vector), the latter in a temporary file so that memory stays flat
however much an import replaces. When a write fails, the overwritten records are put back and
the added ones deleted, then the error goes on: the bank holds what it held before the import.

An undo is itself a write, so it can fail too (the disk the import filled, a second interrupt);
the error then says that the import is partly in the bank and how to check it.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Sequence
from typing import IO

from memory.bank.casebank import CaseBank
from memory.bank.step_migration import steps_touched
from memory.bank.storage import KINDS, LEGACY_KINDS
from memory.engines.protocol import StoredPoint
from memory.errors import CaseBankError

UNDO_BATCH = 500


class ImportJournal:
    """What an import wrote so far, enough to take it back (see the module docstring)."""

    def __init__(self, bank: CaseBank) -> None:
        self.bank = bank
        self.added: dict[str, list[int]] = {kind: [] for kind in KINDS}
        self._noted: set[int] = set()  # ids already added or saved: the first state counts
        # Open for the journal's life; `close` closes it.
        self._replaced: IO[bytes] = tempfile.TemporaryFile(prefix="memento-import-")  # noqa: SIM115

    def write(self, kind: str, points: Sequence[StoredPoint]) -> None:
        """Note what `points` add and overwrite, then store them. Visits (an export written
        before steps) are stored as steps: what they may add and overwrite is steps."""
        stored, ids = kind, [p.id for p in points]
        if kind in LEGACY_KINDS:
            stored, ids = "steps", steps_touched(points)
        fresh = list(dict.fromkeys(i for i in ids if uuid.UUID(i).int not in self._noted))
        held = self.bank.stored_records(stored, fresh, with_vectors=True)
        for point in held:
            line = json.dumps([stored, point.id, point.payload, point.vector], ensure_ascii=False)
            self._replaced.write(line.encode() + b"\n")
        held_ids = {p.id for p in held}
        for point_id in fresh:
            key = uuid.UUID(point_id).int
            self._noted.add(key)
            if point_id not in held_ids:
                self.added[stored].append(key)
        self._replaced.flush()
        self.bank.put_points([(kind, p) for p in points], batch=max(1, len(points)))

    def undo(self, failure: BaseException) -> CaseBankError | None:
        """Put the bank back as it was; None when done, else the error to raise instead of
        `failure`, saying the import is partly stored."""
        try:
            self._put_back()
            for kind, keys in self.added.items():
                for start in range(0, len(keys), UNDO_BATCH):
                    ids = [str(uuid.UUID(int=k)) for k in keys[start : start + UNDO_BATCH]]
                    self.bank.delete_records(kind, ids)
        except BaseException as exc:
            written = sum(len(keys) for keys in self.added.values())
            return CaseBankError(
                f"the import failed ({failure}) and could not be taken back ({exc}): up to "
                f"{written} of its records are in the bank; run `memento cases check`, then "
                "import the file again (an import replaces what it wrote) or delete them"
            )
        return None

    def _put_back(self) -> None:
        self._replaced.seek(0)
        batch: list[tuple[str, StoredPoint]] = []
        for line in self._replaced:
            kind, point_id, payload, vector = json.loads(line)
            batch.append((kind, StoredPoint(point_id, payload, vector)))
            if len(batch) >= UNDO_BATCH:
                self.bank.put_points(batch)
                batch = []
        if batch:
            self.bank.put_points(batch)

    def close(self) -> None:
        self._replaced.close()
