"""An integrity check of a case bank: what `memento cases check` reports.

A bank is sound when every stored record parses, counts agree with what can be read, every
visit points at a case that exists (a visit without its case carries learning nobody can use)
in its own namespace (`memory.bank.ownership`: credit that crosses namespaces moves another
user's Q), and every case's id is the one its namespace, question and outcome give (any other
was edited, or moved from another namespace).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from memory.bank.casebank import CaseBank
from memory.bank.identity import content_ids
from memory.bank.memory_items import MemoryItem
from memory.bank.ownership import foreign_visits, storable_ids
from memory.bank.records import Case, Visit
from memory.bank.stored_records import record_error
from memory.errors import CaseBankError


class IntegrityReport(BaseModel):
    """What the check found; `ok` when there are no problems."""

    cases: int
    visits: int
    problems: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_bank(bank: CaseBank, *, namespace: str | None = None) -> IntegrityReport:
    """Read every case and visit (of one namespace, or all) and report what is wrong."""
    problems: list[str] = []
    try:
        cases = bank.list_cases(namespace=namespace)
        visits = bank.list_visits(namespace=namespace)
    except (CaseBankError, ValueError) as exc:  # a record that does not parse
        return IntegrityReport(cases=0, visits=0, problems=[f"unreadable record: {exc}"])
    counted_cases = bank.count(namespace=namespace)
    counted_visits = bank.count_visits(namespace=namespace)
    if counted_cases != len(cases):
        problems.append(f"count says {counted_cases} cases but {len(cases)} can be read")
    if counted_visits != len(visits):
        problems.append(f"count says {counted_visits} visits but {len(visits)} can be read")
    problems += _malformed(bank, namespace)
    problems += _ids_not_from_content(cases)
    case_ids = {case.id for case in cases}
    if len(case_ids) != len(cases):
        problems.append(f"{len(cases) - len(case_ids)} duplicate case ids")
    elsewhere = storable_ids(visit.case_id for visit in visits if visit.case_id not in case_ids)
    owners = {case.id: case.namespace for case in cases}
    owners.update({case.id: case.namespace for case in bank.get_many(elsewhere)})
    owners.update({m.id: m.namespace for m in bank.memories.get_many(elsewhere)})  # credited too
    problems += _crossing(visits, owners)
    orphans = [visit for visit in visits if visit.case_id not in owners]
    if orphans and namespace is None:
        problems.append(f"{len(orphans)} visits point at missing cases, e.g. {orphans[0].case_id}")
    return IntegrityReport(cases=len(cases), visits=len(visits), problems=problems)


def _crossing(visits: list[Visit], owners: dict[str, str]) -> list[str]:
    """One line for the visits that credit a case of another namespace, if any."""
    crossing = foreign_visits(visits, owners)
    if not crossing:
        return []
    visit, owner = crossing[0]
    return [
        f"{len(crossing)} visits credit a case of another namespace, e.g. visit {visit.id} in "
        f"{visit.namespace!r} credits case {visit.case_id} of {owner!r}"
    ]


def _malformed(bank: CaseBank, namespace: str | None, shown: int = 10) -> list[str]:
    """One line per stored record that does not parse (the first `shown`, then a count)."""
    models = {"cases": Case, "memories": MemoryItem, "visits": Visit}
    found = [
        f"{kind[:-1]} {point.id} does not parse: {error}"
        for kind, point in bank.stored_points()
        if namespace is None or point.payload.get("namespace") == namespace
        if (error := record_error(models[kind], point.payload))
    ]
    if len(found) > shown:
        found = [*found[:shown], f"... and {len(found) - shown} more records that do not parse"]
    return found


def _ids_not_from_content(cases: list[Case], shown: int = 10) -> list[str]:
    """One line per case whose id its content does not give (the first `shown`, then a count)."""
    found = [
        f"case {case.id} in {case.namespace!r}: its id is not the one its namespace, question and "
        f"outcome give ({content_ids(case)[0]})"
        for case in cases
        if case.id not in content_ids(case)
    ]
    if len(found) > shown:
        found = [*found[:shown], f"... and {len(found) - shown} more cases whose id is not theirs"]
    return found
