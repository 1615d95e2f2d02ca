"""The whole-file pass of an import: every line checked before anything is written.

One record at a time is `export_format`'s; this pass adds what needs the whole file and the
bank, reading the file once as a stream (memory grows by an id and a line number per record,
never with their content):

- an id is never accepted in a namespace other than its own: a record whose id a record of
  another namespace holds, in the bank or earlier in the file, is refused (an import that
  reused bob's case id replaced his case and moved it into alice's namespace);
- every case a step credits (read or left unread; or a general memory, credited alike) must
  be in the file or the bank, and in the step's own namespace: credit of a case that is not
  there carries learning nobody can use, and `cases check` then fails. A visit line (an export
  written before steps) is checked alike, as a step crediting one case.

A refused case refuses the steps and visits that credit it too, so what an import stores with
`skip_bad` is as sound as what it stores from a clean file. A step refused for several cases
is one bad line.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from memory.bank.casebank import CaseBank
from memory.care.export_format import BadRecord, parse_record, record_lines
from memory.engines.protocol import StoredPoint

CREDITED = ("cases", "memories")
"""The kinds of records a step (or visit) may credit."""
CREDIT = {"steps": ("read", "unread"), "visits": ("case_id",)}
"""The kinds of records that credit cases, and the payload fields naming them."""
LOOKUP_BATCH = 512
"""Records whose ids are looked up in the bank at once."""


@dataclass
class ImportCheck:
    """What the pass found: the bad lines (line number -> why) and how many records are good."""

    bad: dict[int, str] = field(default_factory=dict)
    good: int = 0


def check_import(bank: CaseBank, path: Path, dim: int) -> ImportCheck:
    """Check every record of the export at `path` against `export_format`, the namespaces of
    the ids it reuses and the cases its visits point at; nothing is written."""
    return _Pass(bank).run(path, dim)


class _Pass:
    def __init__(self, bank: CaseBank) -> None:
        self.bank = bank
        self.result = ImportCheck()
        self.ids: dict[str, dict[int, tuple[str, int]]] = {
            "cases": {},
            "memories": {},
            "steps": {},
            "visits": {},
        }
        self.refused_cases: dict[int, int] = {}  # case id -> the line that refused it
        self.names: dict[str, str] = {}  # one string per namespace, however many records
        self.waiting: list[tuple[int, str, StoredPoint]] = []  # for the bank, in batches
        # (line, namespace, case, field) of the credit whose case the file has not shown yet
        self.later: list[tuple[int, str, int, str]] = []

    def run(self, path: Path, dim: int) -> ImportCheck:
        with path.open("rb") as handle:
            handle.readline()
            for number, line in record_lines(handle):
                try:
                    if isinstance(line, BadRecord):
                        raise line
                    kind, point = parse_record(line, dim)
                    self._in_file(kind, point, number)
                except BadRecord as why:
                    self._refuse(number, str(why), line)
                    continue
                self.waiting.append((number, kind, point))
                if len(self.waiting) >= LOOKUP_BATCH:
                    self._in_bank()
        self._in_bank()
        self._later_credit()
        self.result.bad = dict(sorted(self.result.bad.items()))
        return self.result

    def _refuse(self, number: int, why: str, line: str | BadRecord | None = None) -> None:
        """Record a bad line; a case's id, where it can be read, refuses its visits too."""
        self.result.bad[number] = why
        if isinstance(line, str):
            try:
                record = json.loads(line)
                if record["kind"] in CREDITED:
                    self.refused_cases[uuid.UUID(record["id"]).int] = number
            except (ValueError, KeyError, TypeError, AttributeError):
                pass

    def _in_file(self, kind: str, point: StoredPoint, number: int) -> None:
        """Refuse an id an earlier line gave to another namespace, then remember this one."""
        namespace = self.names.setdefault(point.payload["namespace"], point.payload["namespace"])
        point.payload["namespace"] = namespace
        key = uuid.UUID(point.id).int
        earlier = self.ids[kind].get(key)
        if earlier is not None and earlier[0] != namespace:
            raise BadRecord(
                f"field 'id': line {earlier[1]} gave {point.id} to namespace {earlier[0]!r}; "
                "an id belongs to one namespace"
            )
        self.ids[kind][key] = (namespace, number)

    def _in_bank(self) -> None:
        """Refuse the waiting records whose id the bank holds in another namespace, cases
        first, then check the cases each waiting step credits as far as the file has shown them."""
        for kind in (*CREDITED, *CREDIT):
            batch = [(n, p) for n, k, p in self.waiting if k == kind]
            held = self._held(kind, [p.id for _, p in batch])
            for number, point in batch:
                namespace = point.payload["namespace"]
                if point.id in held and held[point.id] != namespace:
                    self._refuse(
                        number,
                        f"field 'id': {point.id} is a {kind[:-1]} of namespace "
                        f"{held[point.id]!r} in the bank; an id never moves to another namespace",
                    )
                    if kind in CREDITED:
                        self.refused_cases[uuid.UUID(point.id).int] = number
                elif kind in CREDITED or self._credit(number, namespace, kind, point):
                    self.result.good += 1
        self.waiting.clear()

    def _held(self, kind: str, ids: list[str]) -> dict[str, object]:
        """The namespace of each of these ids the bank holds as a record of `kind`; none for
        visits, which the bank holds as steps (a step's id derives from its namespace)."""
        if kind == "visits":
            return {}
        return {p.id: p.payload.get("namespace") for p in self.bank.stored_records(kind, ids)}

    def _credit(self, number: int, namespace: str, kind: str, point: StoredPoint) -> bool:
        """Whether the cases a step (or visit) credits are good so far; one the file has not
        shown waits till the end."""
        waiting = []
        for name in CREDIT[kind]:
            for case_id in _listed(point.payload[name]):
                case_key = uuid.UUID(case_id).int
                if case_key in self.refused_cases:
                    self._refuse(number, _refused_case(name, self.refused_cases[case_key]))
                    return False
                found = self._credited(case_key)
                if found is None:
                    waiting.append((number, namespace, case_key, name))
                elif found[0] != namespace:
                    self._refuse(number, _elsewhere(name, case_key, found[0], namespace))
                    return False
        self.later += waiting
        return True

    def _later_credit(self) -> None:
        """The credit whose case came later in the file, or is in the bank, or nowhere."""
        in_bank = []
        for number, namespace, case_key, name in self.later:
            if case_key in self.refused_cases:
                self._refused_later(number, _refused_case(name, self.refused_cases[case_key]))
            elif (found := self._credited(case_key)) is not None:
                if found[0] != namespace:
                    self._refused_later(number, _elsewhere(name, case_key, found[0], namespace))
            else:
                in_bank.append((number, namespace, case_key, name))
        for start in range(0, len(in_bank), LOOKUP_BATCH):
            batch = in_bank[start : start + LOOKUP_BATCH]
            ids = list({str(uuid.UUID(int=key)) for _, _, key, _ in batch})
            held = {k: v for kind in CREDITED for k, v in self._held(kind, ids).items()}
            for number, namespace, case_key, name in batch:
                case_id = str(uuid.UUID(int=case_key))
                if case_id not in held:
                    self._refused_later(
                        number,
                        f"field {name!r}: case {case_id} is neither in this file nor in the "
                        "bank (credit of a missing case)",
                    )
                elif held[case_id] != namespace:
                    self._refused_later(
                        number, _elsewhere(name, case_key, str(held[case_id]), namespace)
                    )
        self.later.clear()

    def _credited(self, key: int) -> tuple[str, int] | None:
        """(namespace, line) of the case or memory the file gave this id, if it did."""
        return self.ids["cases"].get(key) or self.ids["memories"].get(key)

    def _refused_later(self, number: int, why: str) -> None:
        """Refuse a record counted good when the file had not shown its case; a step refused
        for one of its cases already is left so (one line, counted once)."""
        if number in self.result.bad:
            return
        self._refuse(number, why)
        self.result.good -= 1


def _listed(value: str | list[str]) -> list[str]:
    """The case ids of a credit field: a step's list, or a visit's one id."""
    return [value] if isinstance(value, str) else value


def _refused_case(name: str, line: int) -> str:
    return f"field {name!r}: its case (line {line}) is refused"


def _elsewhere(name: str, case_key: int, held: str, namespace: str) -> str:
    owner = "visit" if name == "case_id" else "step"
    return (
        f"field {name!r}: case {uuid.UUID(int=case_key)} is in namespace {held!r}, not the "
        f"{owner}'s {namespace!r}"
    )
