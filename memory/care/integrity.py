"""An integrity check of a case bank: what `memento cases check` reports.

A bank is sound when every stored record parses, counts agree with what can be read, every
visit (a case a step read or left unread) points at a case that exists (a visit without its
case carries learning nobody can use) in its step's own namespace (`memory.bank.ownership`:
credit that crosses namespaces moves another user's Q), and every case's id is the one its
namespace, question and outcome give, every step's the one its namespace, run and cycle give
(any other was edited, or moved from another namespace).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from memory.bank.casebank import CaseBank
from memory.bank.identity import content_ids
from memory.bank.memory_items import MemoryItem
from memory.bank.ownership import foreign_visits, storable_ids
from memory.bank.records import Case
from memory.bank.steps import Step, step_id, visits_of
from memory.bank.storage import namespace_where
from memory.bank.stored_records import record_error
from memory.errors import CaseBankError

SHOWN = 10
"""Problems of one kind named one by one; the rest are counted."""


class IntegrityReport(BaseModel):
    """What the check found; `ok` when there are no problems."""

    cases: int
    visits: int
    problems: list[str] = Field(default_factory=list)
    steps: int = 0
    """The records of credit the visits are views of (`memory.bank.steps`)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_bank(bank: CaseBank, *, namespace: str | None = None) -> IntegrityReport:
    """Read every case and step (of one namespace, or all) and report what is wrong."""
    problems: list[str] = []
    try:
        cases = bank.list_cases(namespace=namespace)
        steps = [step for step, _ in bank.steps.crediting(namespace_where(namespace))]
    except (CaseBankError, ValueError) as exc:  # a record that does not parse
        return IntegrityReport(cases=0, visits=0, problems=[f"unreadable record: {exc}"])
    visits = [visit for step in steps for visit in visits_of(step)]
    counted_cases = bank.count(namespace=namespace)
    counted_steps = bank.count_steps(namespace=namespace)
    if counted_cases != len(cases):
        problems.append(f"count says {counted_cases} cases but {len(cases)} can be read")
    if counted_steps != len(steps):
        problems.append(f"count says {counted_steps} steps but {len(steps)} can be read")
    problems += _malformed(bank, namespace)
    problems += _ids_not_from_content(cases)
    problems += _step_ids_not_their_own(steps)
    case_ids = {case.id for case in cases}
    if len(case_ids) != len(cases):
        problems.append(f"{len(cases) - len(case_ids)} duplicate case ids")
    elsewhere = storable_ids(visit.case_id for visit in visits if visit.case_id not in case_ids)
    owners = {case.id: case.namespace for case in cases}
    owners.update({case.id: case.namespace for case in bank.get_many(elsewhere)})
    owners.update({m.id: m.namespace for m in bank.memories.get_many(elsewhere)})  # credited too
    problems += _crossing(steps, owners)
    orphans = [visit for visit in visits if visit.case_id not in owners]
    if orphans and namespace is None:
        problems.append(f"{len(orphans)} visits point at missing cases, e.g. {orphans[0].case_id}")
    return IntegrityReport(
        cases=len(cases), visits=len(visits), steps=len(steps), problems=problems
    )


def _crossing(steps: list[Step], owners: dict[str, str]) -> list[str]:
    """One line for the visits that credit a case of another namespace, if any, naming the
    step that holds the first (the record to look at)."""
    crossing = [
        (step, found) for step in steps if (found := foreign_visits(visits_of(step), owners))
    ]
    if not crossing:
        return []
    step, [(visit, owner), *_] = crossing[0]
    count = sum(len(found) for _, found in crossing)
    return [
        f"{count} visits credit a case of another namespace, e.g. step {step.id} in "
        f"{step.namespace!r} credits case {visit.case_id} of {owner!r}"
    ]


def _malformed(bank: CaseBank, namespace: str | None) -> list[str]:
    """One line per stored record that does not parse (the first SHOWN, then a count)."""
    models = {"cases": Case, "memories": MemoryItem, "steps": Step}
    found = [
        f"{kind[:-1]} {point.id} does not parse: {error}"
        for kind, point in bank.stored_points()
        if namespace is None or point.payload.get("namespace") == namespace
        if (error := record_error(models[kind], point.payload))
    ]
    return _first(found, "records that do not parse")


def _ids_not_from_content(cases: list[Case]) -> list[str]:
    """One line per case whose id its content does not give (the first SHOWN, then a count)."""
    found = [
        f"case {case.id} in {case.namespace!r}: its id is not the one its namespace, question and "
        f"outcome give ({content_ids(case)[0]})"
        for case in cases
        if case.id not in content_ids(case)
    ]
    return _first(found, "cases whose id is not theirs")


def _step_ids_not_their_own(steps: list[Step]) -> list[str]:
    """One line per step whose id its namespace, run and cycle do not give (the first SHOWN,
    then a count)."""
    found = [
        f"step {step.id} in {step.namespace!r}: its id is not the one its namespace, run and "
        f"cycle give ({own})"
        for step in steps
        if step.id != (own := step_id(step.namespace, step.run_id, step.cycle))
    ]
    return _first(found, "steps whose id is not theirs")


def _first(found: list[str], more: str) -> list[str]:
    """The first SHOWN lines of a kind of problem, then how many more there are."""
    if len(found) > SHOWN:
        return [*found[:SHOWN], f"... and {len(found) - SHOWN} more {more}"]
    return found
