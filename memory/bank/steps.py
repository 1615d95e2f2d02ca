"""Credit as steps: one record per step of a run, its state stored once.

A step (s_t, read_t, unread_t, y_t) is one cycle of one run: the state it retrieved in, the
cases (or memories) it read, the candidates it scored and left unread (contrastive credit
only) and the target it earned. Every case of a step earns the step's target in the step's
state (paper Eq. 8), so one record holds what used to be one point per (step, case), each
with its own copy of the state vector: 4 copies a task with shared credit, ~22-29 with
contrastive credit (issue 29). A visit is now a view of a step (`visits_of`): kernel Q,
`cases why`, reports and bank care read the same facts from one record per task.

A step's id derives from (namespace, run, cycle), so storing a run's credit again (a retried
`update_q`) merges into the same record instead of counting it twice (`merged`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from memory.bank.records import Visit

KEYWORDS = ("namespace", "run_id", "read", "unread")
"""The step fields filters name: a case's steps are found through the index on `read`."""
READS = ("namespace", "read", "unread", "target", "created_at")
"""What a retrieve reads of a step (an exact copy in memory keeps just these)."""

_VISIT_ID_NAMESPACE = uuid.UUID("0b7d3c52-3f0e-4f55-a0f4-5b2f1f4f7c21")
_STEP_ID_NAMESPACE = uuid.UUID("5f0c8d0e-2b1a-4c47-9a53-0c9d3f6b8e14")


class Step(BaseModel):
    """One cycle of one run: the cases it read (and left unread) and the target it earned."""

    id: str
    namespace: str
    run_id: str
    cycle: int = 0
    target: float
    created_at: float
    read: list[str] = Field(default_factory=list)
    unread: list[str] = Field(default_factory=list)

    def credits(self, case_id: str) -> bool:
        return case_id in self.read or case_id in self.unread


TARGET_DIGITS = 9
"""Targets equal to this many decimals are one target (an engine may give a float back one
unit in its last place off: `memory.bank.stored_records.stored_time`)."""


def same_target(a: float, b: float) -> bool:
    return round(a, TARGET_DIGITS) == round(b, TARGET_DIGITS)


def visit_id(run_id: str, case_id: str, cycle: int, *, retrieved: bool) -> str:
    """The id of the visit a run's cycle gives a case: the same inputs always give the same id."""
    key = f"{run_id}\x00{case_id}\x00{cycle}\x00{'read' if retrieved else 'unread'}"
    return str(uuid.uuid5(_VISIT_ID_NAMESPACE, key))


def step_id(namespace: str, run_id: str, cycle: int) -> str:
    """The id of a run's step in a namespace: the same inputs always give the same id."""
    return str(uuid.uuid5(_STEP_ID_NAMESPACE, f"{namespace}\x00{run_id}\x00{cycle}"))


def run_of(visit: Visit) -> str:
    """The run a visit belongs to; a visit stored without one (before runs were named) is a
    run of its own, so it never merges with another."""
    return visit.run_id or f"visit-{visit.id}"


def visits_of(step: Step, case_id: str | None = None) -> list[Visit]:
    """The visits a step stands for (of one case, or all), read ones first."""
    pairs = [(c, True) for c in step.read] + [(c, False) for c in step.unread]
    return [
        Visit(
            id=visit_id(step.run_id, case, step.cycle, retrieved=retrieved),
            case_id=case,
            namespace=step.namespace,
            target=step.target,
            retrieved=retrieved,
            run_id=step.run_id,
            cycle=step.cycle,
            created_at=step.created_at,
        )
        for case, retrieved in pairs
        if case_id is None or case == case_id
    ]


def steps_of(
    visits: Iterable[tuple[Visit, Sequence[float]]], *, split_disagreeing: bool = False
) -> list[tuple[Step, Sequence[float]]]:
    """The steps these visits form, each with its state: visits of one (namespace, run,
    cycle) are one step.

    Visits of one step must agree on the target (every case of a step earns the step's
    target); ValueError names the step otherwise. `split_disagreeing` (reading a bank or an
    export written before steps, where bank care could give one visit of a step a new target)
    makes a step per target instead, all under the step's id: `StepRecords.write` keeps one
    target there and moves each other to a step of its own (`split_run`), so nothing is lost.
    """
    steps: dict[tuple[str, float | None], tuple[Step, Sequence[float]]] = {}
    for visit, vector in visits:
        run = run_of(visit)
        key = step_id(visit.namespace, run, visit.cycle)
        split = round(visit.target, TARGET_DIGITS) if split_disagreeing else None
        held = steps.get((key, split))
        if held is not None and not same_target(held[0].target, visit.target):
            raise ValueError(
                f"visits of one step (run {visit.run_id!r}, cycle {visit.cycle}) disagree "
                f"on its target ({held[0].target:g} and {visit.target:g}): every case a "
                "step read earns that step's target"
            )
        if held is None:
            step = Step(
                id=key,
                namespace=visit.namespace,
                run_id=run,
                cycle=visit.cycle,
                target=visit.target,
                created_at=visit.created_at,
            )
            held = steps[(key, split)] = (step, vector)
        cases = held[0].read if visit.retrieved else held[0].unread
        if visit.case_id not in cases:
            cases.append(visit.case_id)
    return list(steps.values())


def split_run_name(run_id: str, target: float) -> str:
    """The run of the visits of `run_id` whose target is not the one its step holds."""
    return f"{run_id}@{target:.9g}"


def split_run_id(step: Step) -> str:
    """The id of `split_run(step)`."""
    return step_id(step.namespace, split_run_name(step.run_id, step.target), step.cycle)


def split_run(step: Step) -> Step:
    """The step of its own that visits of `step`'s run and cycle with another target than the
    one held take (`steps_of`'s `split_disagreeing`): its run named with the target."""
    run = split_run_name(step.run_id, step.target)
    return step.model_copy(update={"id": step_id(step.namespace, run, step.cycle), "run_id": run})


def merged(held: Step | None, new: Step) -> Step:
    """A stored step with more of its visits written: the cases of both, the newer target
    and time (as writing a visit again replaced it)."""
    if held is None:
        return new
    read = list(dict.fromkeys([*held.read, *new.read]))
    unread = list(dict.fromkeys([*held.unread, *new.unread]))
    return new.model_copy(update={"read": read, "unread": unread})


def without(step: Step, case_ids: Iterable[str], *, read: bool | None = None) -> Step | None:
    """The step with these cases' visits gone (read ones, unread ones, or both: None); None
    when no case is left."""
    gone = set(case_ids)
    kept_read = [c for c in step.read if read is False or c not in gone]
    kept_unread = [c for c in step.unread if read is True or c not in gone]
    if not kept_read and not kept_unread:
        return None
    return step.model_copy(update={"read": kept_read, "unread": kept_unread})


def step_numbers(payload: dict[str, Any]) -> tuple[float, float] | None:
    """(target, time) of a well-typed step payload, what kernel Q sums; None for any other."""
    target, time = payload.get("target"), payload.get("created_at")
    if type(target) in (float, int) and type(time) in (float, int):
        return float(target), float(time)  # type: ignore[arg-type]
    return None
