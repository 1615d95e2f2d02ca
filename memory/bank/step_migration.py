"""Banks written before steps: their visits (one point per case read, each with its own copy
of the state) become steps, once, the first time a version with steps opens the bank.

The steps are written (merged by id, so writing them again changes nothing) before the old
collection goes, so a migration cut off midway (a crash, a kill) is simply done again at the
next open, with nothing lost or counted twice. A visit that does not parse is skipped, named
in a warning (`memento cases check` on the old version names it too). Old exports (`visits`
lines) are read through the same conversion (`steps_from_visit_points`).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tqdm import tqdm

from memory.bank.records import Visit
from memory.bank.steps import run_of, split_run_name, step_id, steps_of
from memory.bank.stored_records import visit_from_payload
from memory.engines.protocol import EVERYWHERE, StoredPoint

if TYPE_CHECKING:
    import threading

    from memory.bank.step_records import StepRecords
    from memory.engines.protocol import VectorStore

_log = logging.getLogger(__name__)

LEGACY_KEYWORDS = ("namespace", "case_id")
BATCH = 4_096
"""Visits converted per write: a run's visits are written together, so most steps are whole
in one batch, and a step split across two is merged by id."""
_EARLIEST = {"created_at": 0.0}
"""What kernel Q read for a visit stored before visits had a time (the oldest evidence)."""
SHOW_PROGRESS_FROM = 20_000
"""Visits from which a migration shows a progress bar on standard error (~2 s of work)."""


WAIT_S = 0.5
"""How often a process served by another checks whether that one finished a migration."""


@dataclass(frozen=True)
class LegacyVisits:
    """A bank's collection of visits as stored before steps, and where its steps go."""

    store: VectorStore
    name: str
    steps: StepRecords
    dim: int
    lock: threading.RLock
    where: str = ""

    def migrate_or_wait(self) -> int:
        """Migrate (`migrate`), unless another process holds the bank
        (`memory.engines.sharing`): that one migrates as it opens, and a merge of steps is
        not atomic across processes, so this one waits until the old collection is gone (or
        migrates, should it take the bank over). Returns the number of visits it moved."""
        waited = False
        while self.store.stored_dim(self.name) is not None:
            if not getattr(self.store, "held_elsewhere", False):
                return self.migrate()
            if not waited:
                _log.warning("bank %s: waiting for the process serving it to move its visits "
                             "to step records", self.where)  # fmt: skip
                waited = True
            time.sleep(WAIT_S)
        return 0

    def migrate(self) -> int:
        """Move the old visits into steps and remove their collection; returns the number of
        visits moved. Runs under the bank's lock, as the bank opens."""
        with self.lock, _bulk(self.store):
            legacy = self.store.collection(
                self.name, dim=self.dim, keyword_fields=LEGACY_KEYWORDS, vector_index=False
            )
            total = legacy.count(EVERYWHERE)
            if total:
                _log.warning(
                    "bank %s: moving %d visits to step records (once; a crash midway is resumed "
                    "at the next open)",
                    self.where,
                    total,
                )
            with tqdm(
                total=total,
                desc="memento: visits -> steps",
                unit="visit",
                file=sys.stderr,
                disable=total < SHOW_PROGRESS_FROM,
            ) as bar:
                batch: list[StoredPoint] = []
                for point in legacy.scroll(EVERYWHERE, with_vectors=True):
                    batch.append(point)
                    if len(batch) >= BATCH:
                        steps_from_visit_points(self.steps, batch)
                        bar.update(len(batch))
                        batch = []
                steps_from_visit_points(self.steps, batch)
                bar.update(len(batch))
            self.store.drop(self.name)
        return total


@contextmanager
def _bulk(store: VectorStore) -> Iterator[None]:
    """Writes that do not stop between their points to let searches in (none runs yet)."""
    store.defer_indexing(True)
    try:
        yield
    finally:
        store.defer_indexing(False)


def steps_from_visit_points(steps: StepRecords, points: Sequence[StoredPoint]) -> int:
    """Store visits as stored before steps (points with a vector each) as the steps they
    form, merged with those held; a visit's own target is kept where its step's differs.
    Returns the number of visits that parsed."""
    visits = [(visit, point.vector or []) for visit, point in _legacy_visits(points)]
    steps.write(steps_of(visits, split_disagreeing=True), split_disagreeing=True)
    return len(visits)


def steps_touched(points: Sequence[StoredPoint]) -> list[str]:
    """The ids of every step that storing these visit points (`steps_from_visit_points`) may
    write, so that an import can note them first and undo its writes: each visit's step, and
    the step of its own its target gets where the step held has another (`steps.split_run`)."""
    ids: dict[str, None] = {}
    for visit, _ in _legacy_visits(points):
        run = run_of(visit)
        for key in (run, split_run_name(run, visit.target)):
            ids[step_id(visit.namespace, key, visit.cycle)] = None
    return list(ids)


def _legacy_visits(points: Sequence[StoredPoint]) -> Iterator[tuple[Visit, StoredPoint]]:
    """The visits these old points hold (one that does not parse skipped, warned once)."""
    for point in points:
        if visit := visit_from_payload(point.id, {**_EARLIEST, **point.payload}):
            yield visit, point
