"""A bank's steps as stored: writing them (merged with those held), finding a case's steps,
the steps nearest a state per case (what kernel Q reads), and taking cases out of them.

`memory.bank.steps` says what a step is; `CaseBank` keeps reading and writing visits, as
views of these records, so every caller of visits reads the same facts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager

from memory.bank.paging import under_lock
from memory.bank.records import Visit
from memory.bank.steps import (
    Step,
    merged,
    run_of,
    same_target,
    split_run,
    split_run_id,
    step_id,
    step_numbers,
    without,
)
from memory.bank.stored_records import step_from_payload, stored_time
from memory.engines.protocol import (
    EVERYWHERE,
    Collection,
    GroupHit,
    GroupValues,
    StoredPoint,
    Where,
    match,
)

StepWithState = tuple[Step, Sequence[float]]


class StepRecords:
    """The steps collection of a bank, every write under the bank's lock."""

    def __init__(
        self,
        collection: Collection,
        lock: threading.RLock,
        searching: AbstractContextManager[object],
    ) -> None:
        self._collection = collection
        self._lock = lock
        self._searching = searching

    # -- writes --------------------------------------------------------------------------------
    def write(self, new: Sequence[StepWithState], *, split_disagreeing: bool = False) -> None:
        """Store steps, each merged with the one held under its id (`steps.merged`).

        A step held with another target than the one written takes it (credit written again
        for a run, e.g. a person's relabel). With `split_disagreeing` (visits of a bank or an
        export written before steps) the held target stays and the visits written with
        another go to a step of their own (`steps.split_run`): which target a step keeps
        depends only on what is held, so writing the same visits again changes nothing.
        """
        if not new:
            return
        with self._lock:
            ids = [step.id for step, _ in new]
            if split_disagreeing:
                ids += [split_run_id(step) for step, _ in new]
            held = {s.id: s for s, _ in self._read(ids)}
            points: dict[str, tuple[StoredPoint, Sequence[float]]] = {}
            for step, vector in new:
                kept = held.get(step.id)
                if split_disagreeing and kept and not same_target(kept.target, step.target):
                    step = split_run(step)
                step = held[step.id] = merged(held.get(step.id), step)
                points[step.id] = (_point(step), vector)
            if points:
                self._collection.upsert(list(points.values()))

    def forget(self, visits: Sequence[Visit]) -> None:
        """Remove these visits from their steps; a step left with none goes."""
        by_step: dict[str, list[Visit]] = {}
        for visit in visits:
            by_step.setdefault(step_id(visit.namespace, run_of(visit), visit.cycle), []).append(
                visit
            )
        with self._lock:
            found = self._read(list(by_step), with_vectors=True)
            self._rewrite(
                (step, vector, _without(step, by_step[step.id])) for step, vector in found
            )

    def drop_cases(self, case_ids: Sequence[str], *, read: bool | None = None) -> None:
        """Take these cases (or memories) out of every step that credits them (their read
        visits, their unread ones, or both: None); a step left with none goes."""
        if not case_ids:
            return
        keys = ("read", "unread") if read is None else ("read",) if read else ("unread",)
        with self._lock:
            found = {
                point.id: point
                for key in keys
                for point in self._collection.scroll(
                    Where(must=(match(key, *case_ids),)), with_vectors=True
                )
            }
            self._rewrite(
                (step, point.vector or [], without(step, case_ids, read=read))
                for point in found.values()
                if (step := step_from_payload(point.id, point.payload))
            )

    def _rewrite(self, changes: Iterable[tuple[Step, Sequence[float], Step | None]]) -> None:
        """Store each step as what is left of it, or delete it where nothing is (None)."""
        kept: list[tuple[StoredPoint, Sequence[float]]] = []
        gone: list[str] = []
        for step, vector, left in changes:
            if left is None:
                gone.append(step.id)
            else:
                kept.append((_point(left), vector))
        if kept:
            self._collection.upsert(kept)
        if gone:
            self._collection.delete(gone)

    # -- reads ---------------------------------------------------------------------------------
    def crediting(
        self,
        where: Where,
        *,
        case_id: str | None = None,
        with_vectors: bool = False,
    ) -> Iterator[tuple[Step, list[float]]]:
        """Every step matching `where` (and crediting `case_id`, read or unread), a page at
        a time under the lock, each once."""
        if case_id is None:
            scans = [where]
        else:
            scans = [Where(must=(match(k, case_id), *where.must), must_not=where.must_not)
                     for k in ("read", "unread")]  # fmt: skip
        seen: set[str] = set()
        for scan in scans:
            for point in under_lock(
                self._collection.scroll(scan, with_vectors=with_vectors), self._lock
            ):
                if point.id in seen:
                    continue
                seen.add(point.id)
                if step := step_from_payload(point.id, point.payload):
                    yield step, list(point.vector or [])

    def count(self, where: Where = EVERYWHERE) -> int:
        with self._lock:
            return self._collection.count(where)

    def nearest(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        *,
        per_case: int,
        read: bool,
        columns: bool = False,
    ) -> list[GroupHit] | GroupValues:
        """For each case, its `per_case` steps nearest to the state `vector` among those that
        read it (or left it unread): group by group, found through the index on that field,
        so the cost is those cases' own steps, never the bank's size."""
        key = "read" if read else "unread"
        groups = list(dict.fromkeys(case_ids))
        with self._searching:
            found = columns and self._collection.nearest_values_per_group(
                vector, key=key, groups=groups, per_group=per_case, where=EVERYWHERE,
                value_of=step_numbers,
            )  # fmt: skip
            return found or self._collection.nearest_per_group(
                vector, key=key, groups=groups, per_group=per_case,
                payload_keys=("target", "created_at"),
            )  # fmt: skip

    def _read(self, ids: Sequence[str], *, with_vectors: bool = False) -> list[StepWithState]:
        points = self._collection.retrieve(list(dict.fromkeys(ids)), with_vectors=with_vectors)
        return [
            (step, list(p.vector or []))
            for p in points
            if (step := step_from_payload(p.id, p.payload))
        ]


def _without(step: Step, visits: Sequence[Visit]) -> Step | None:
    """The step with these of its visits gone (read ones from its reads, unread from the rest)."""
    read = without(step, [v.case_id for v in visits if v.retrieved], read=True)
    return read and without(read, [v.case_id for v in visits if not v.retrieved], read=False)


def _point(step: Step) -> StoredPoint:
    """A step as stored, its time to the microsecond (`stored_time`)."""
    payload = step.model_dump()
    payload["created_at"] = stored_time(step.created_at)
    return StoredPoint(id=step.id, payload=payload)
