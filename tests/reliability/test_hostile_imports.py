"""Hostile export files: every one is refused in one line naming the line and field, and an
import stores all of a file or none of it, ids never leaving their namespace.

Most files here are written as before steps (visit lines), which an import still reads;
tests/unit/test_step_transfer.py has the hostile step lines.

The attacks (issue 26): a bad line after 1,500 good ones (NaN reward, int id, NaN visit target)
committed 1,000-1,500 records before a traceback; 9 of 28 hostile files ended in a traceback
(binary, a `[1,2]` header, `dim: -5`, non-UUID ids); orphan visits and a payload id that differs
from the record id were imported, after which `cases check` failed; an import that reused bob's
case id replaced his case and moved it into alice's namespace.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from memory import Case, CaseBank, CaseBankError, Visit
from memory.bank.identity import case_id_for, content_ids, outcome_key
from memory.bank.steps import Step, step_id
from memory.care.integrity import check_bank
from memory.care.transfer import export_jsonl, import_jsonl
from memory.engines.protocol import StoredPoint

DIM = 4
Lines = list[dict]


def _case(namespace: str, question: str, answer: str = "42", **fields: object) -> Case:
    case = Case(
        id="", namespace=namespace, question=question, answer=answer, reward=1.0,
        created_at=1.0, updated_at=1.0, **fields,
    )  # fmt: skip
    return case.model_copy(update={"id": content_ids(case)[0]})


def _visit(case: Case, run: str = "r1", target: float = 1.0) -> Visit:
    return Visit(
        id=str(uuid.uuid5(uuid.NAMESPACE_OID, f"{run}{case.id}")), case_id=case.id,
        namespace=case.namespace, target=target, run_id=run, created_at=2.0,
    )  # fmt: skip


def _record(record: Case | Visit, vector: list[float] | None = None) -> dict:
    kind = "cases" if isinstance(record, Case) else "visits"
    payload = record.model_dump()
    return {"kind": kind, "id": record.id, "payload": payload, "vector": vector or [1.0, 0, 0, 0]}


def _step_record(visit: Visit, **fields: object) -> dict:
    """A visit's line as the step line an export writes now, `fields` changed."""
    step = Step(
        id=step_id(visit.namespace, visit.run_id, visit.cycle), namespace=visit.namespace,
        run_id=visit.run_id, target=visit.target, created_at=visit.created_at,
        read=[visit.case_id],
    ).model_copy(update=fields)  # fmt: skip
    return {"kind": "steps", "id": step.id, "payload": step.model_dump()}


def _bobs_step() -> str:
    return step_id(BOB.namespace, _visit(BOB).run_id, 0)


def _write(path: Path, lines: Lines, header: object = None) -> Path:
    header = {"format": "memento-bank/1", "dim": DIM} if header is None else header
    texts = [json.dumps(header), *(json.dumps(line) for line in lines)]
    path.write_text("\n".join(texts) + "\n")
    return path


ALICE = [_case("alice", f"What is {n} + {n}?", str(2 * n)) for n in range(3)]
BOB = _case("bob", "What is bob's secret?", "hunter2")


def _good() -> Lines:
    return [*map(_record, ALICE), _record(_visit(ALICE[0])), _record(_visit(ALICE[1], "r2"))]


@pytest.fixture
def bank() -> Iterator[CaseBank]:
    """Bob's bank: one case of his, read once; an import must never change it."""
    with CaseBank(":memory:", dim=DIM) as bank:
        bank.put_points([("cases", StoredPoint(BOB.id, BOB.model_dump(), [0, 1.0, 0, 0]))])
        bob_visit = _visit(BOB)
        bank.put_points(
            [("visits", StoredPoint(bob_visit.id, bob_visit.model_dump(), [0, 1.0, 0, 0]))]
        )
        yield bank


def _snapshot(bank: CaseBank) -> list[str]:
    return sorted(json.dumps([k, p.id, p.payload], sort_keys=True) for k, p in bank.stored_points())


def _edited(index: int, change: Callable[[dict], None]) -> Callable[[], Lines]:
    def lines() -> Lines:
        found = _good()
        change(found[index])
        return found

    return lines


def _payload(**fields: object) -> Callable[[dict], None]:
    return lambda record: record["payload"].update(fields)


def _over_the_cap() -> Lines:
    big = _case("alice", "A long trajectory?", trajectory=[{"out": "x" * 250_000}])
    return [*_good(), _record(big)]


def _after_1500_good(bad: Callable[[dict], None]) -> Callable[[], Lines]:
    def lines() -> Lines:
        cases = [_case("alice", f"q{n}", str(n)) for n in range(1_500)]
        last = _record(_visit(cases[-1]))
        bad(last)
        return [*map(_record, cases), last]

    return lines


HOSTILE_RECORDS: dict[str, tuple[Callable[[], Lines], str]] = {
    "non-UUID id": (_edited(0, lambda r: r.update(id="case-1")), "line 2: field 'id'"),
    "int id": (_edited(0, lambda r: r.update(id=1500)), "line 2: field 'id'"),
    "upper-case UUID": (_edited(0, lambda r: r.update(id=r["id"].upper())), "field 'id'"),
    "payload id differs": (_edited(1, _payload(id=ALICE[0].id)), "line 3: field 'id': the payload"),
    "NaN reward": (_edited(0, _payload(reward=math.nan)), "field 'reward': must be a finite"),
    "infinite time": (_edited(0, _payload(created_at=math.inf)), "field 'created_at'"),
    "reward of 5": (_edited(0, _payload(reward=5)), "field 'reward'"),
    "reward as text": (_edited(0, _payload(reward="1.0")), "field 'reward'"),
    "attempts as bool": (_edited(0, _payload(attempts=True)), "field 'attempts'"),
    "NaN visit target": (_edited(3, _payload(target=math.nan)), "line 5: field 'target'"),
    "unknown kind": (_edited(0, lambda r: r.update(kind="points")), "field 'kind'"),
    "short vector": (_edited(0, lambda r: r.update(vector=[1.0])), "field 'vector'"),
    "NaN in vector": (_edited(0, lambda r: r.update(vector=[math.nan] * DIM)), "field 'vector'"),
    "bools as vector": (_edited(0, lambda r: r.update(vector=[True] * DIM)), "field 'vector'"),
    "huge ints as vector": (_edited(0, lambda r: r.update(vector=[10**400] * DIM)), "'vector'"),
    "payload is a list": (_edited(0, lambda r: r.update(payload=[1])), "field 'payload'"),
    "path as namespace": (_edited(3, _payload(namespace="../etc")), "field 'namespace'"),
    "edited answer": (_edited(0, _payload(answer="43")), "line 2: field 'id': "),
    "moved to bob": (_edited(0, _payload(namespace="bob")), "line 2: field 'id': "),
    "bob's id, alice's case": (
        _edited(0, lambda r: (r.update(id=BOB.id), r["payload"].update(id=BOB.id))),
        "line 2: field 'id': ",
    ),
    "orphan visit": (
        _edited(3, _payload(case_id=str(uuid.uuid4()))),
        "line 5: field 'case_id': case .* is neither in this file nor in the bank",
    ),
    "visit of bob's case": (
        _edited(3, _payload(case_id=BOB.id)),
        "line 5: field 'case_id': case .* is in namespace 'bob', not the visit's 'alice'",
    ),
    "bob's step id": (
        _edited(3, lambda r: r.update(_step_record(_visit(ALICE[0]), id=_bobs_step()))),
        "line 5: field 'id': .* is not the id of this step's namespace, run and cycle",
    ),
    "visit case id not a UUID": (_edited(3, _payload(case_id="c1")), "field 'case_id'"),
    "over the size cap": (_over_the_cap, "line 7: the case is .* bytes, over the bank's cap"),
    "NaN target after 1,500 good": (
        _after_1500_good(_payload(target=math.nan)),
        "line 1502: field 'target'",
    ),
    "int id after 1,500 good": (
        _after_1500_good(lambda r: r.update(id=1500)),
        "line 1502: field 'id'",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE_RECORDS))
def test_a_hostile_record_refuses_the_file_in_one_line_and_writes_nothing(
    name: str, bank: CaseBank, tmp_path: Path
) -> None:
    make, message = HOSTILE_RECORDS[name]
    path = _write(tmp_path / "hostile.jsonl", make())
    before = _snapshot(bank)
    with pytest.raises(CaseBankError, match="nothing was imported") as refused:
        import_jsonl(bank, path)
    assert "\n" not in str(refused.value)
    assert re.search(message, str(refused.value)), str(refused.value)
    assert _snapshot(bank) == before
    assert check_bank(bank).ok


HOSTILE_FILES: dict[str, tuple[bytes, str]] = {
    "binary": (bytes(range(256)) * 8, "line 1 is not a memento-bank/1 header"),
    "a list header": (b"[1, 2]\n", "line 1 is not a memento-bank/1 header"),
    "empty": (b"", "line 1 is not a memento-bank/1 header"),
    "an HTML page": (b"<!doctype html><html></html>\n", "line 1 is not a memento-bank/1"),
    "dim -5": (b'{"format": "memento-bank/1", "dim": -5}\n', "field 'dim' must be a whole"),
    "dim as text": (b'{"format": "memento-bank/1", "dim": "4"}\n', "field 'dim'"),
    "dim true": (b'{"format": "memento-bank/1", "dim": true}\n', "field 'dim'"),
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_a_file_that_is_not_an_export_is_refused_in_one_line(
    name: str, bank: CaseBank, tmp_path: Path
) -> None:
    content, message = HOSTILE_FILES[name]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(content)
    with pytest.raises(CaseBankError, match=message):
        import_jsonl(bank, path)


def test_broken_lines_of_every_kind_are_named_with_skip_bad_listing_them(
    bank: CaseBank, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps(line) for line in _good()]
    header = json.dumps({"format": "memento-bank/1", "dim": DIM})
    lines = [header, good[0], '{"kind": "cases", "id"', "[1, 2]", good[1], "", good[2]]
    bad_visit = _record(_visit(ALICE[2], "r9"))
    bad_visit["payload"]["target"] = "high"
    lines += [good[3], json.dumps(bad_visit), "x" * ((4 << 20) + 10), good[4]]
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    report = import_jsonl(bank, path, skip_bad=True)
    assert (report.cases, report.visits) == (3, 2)
    assert [line.split(":")[0] for line in report.skipped] == [
        "line 3", "line 4", "line 9", "line 10", "line 12"
    ]  # fmt: skip
    assert "not JSON" in report.skipped[0] and "not a record" in report.skipped[1]
    assert "field 'target'" in report.skipped[2] and "longer than 4 MB" in report.skipped[3]
    assert "not UTF-8" in report.skipped[4]
    assert check_bank(bank).ok


def test_skip_bad_refuses_the_visits_of_a_refused_case(bank: CaseBank, tmp_path: Path) -> None:
    lines = _good()
    lines[0]["payload"]["answer"] = "edited"  # its id no longer matches: refused
    report = import_jsonl(bank, _write(tmp_path / "f.jsonl", lines), skip_bad=True)
    assert (report.cases, report.visits) == (2, 1)
    assert report.skipped[1] == "line 5: field 'case_id': its case (line 2) is refused"
    assert check_bank(bank).ok


def test_a_visit_before_its_case_and_a_visit_of_a_banked_case_are_accepted(
    bank: CaseBank, tmp_path: Path
) -> None:
    lines = _good()
    lines = [lines[3], *lines[:3], lines[4]]  # the visit comes first, its case later
    import_jsonl(bank, _write(tmp_path / "a.jsonl", lines))
    more = _visit(ALICE[2], "r3")
    report = import_jsonl(bank, _write(tmp_path / "b.jsonl", [_record(more)]))
    assert (report.cases, report.visits) == (0, 1)
    assert check_bank(bank).ok


def test_reusing_bobs_case_id_never_replaces_or_moves_his_case(
    bank: CaseBank, tmp_path: Path
) -> None:
    """Bob's case id with alice's namespace and content: its id is not alice's content's, and
    where a bank holds such a record anyway, the id is refused as bob's."""
    stolen = _case("alice", "What is bob's secret?", "pwned").model_copy(update={"id": BOB.id})
    with pytest.raises(CaseBankError, match="line 2: field 'id'"):
        import_jsonl(bank, _write(tmp_path / "steal.jsonl", [_record(stolen)]))
    alice_case = _case("alice", "What is 1 + 1?", "2")
    planted = BOB.model_copy(update={"id": alice_case.id})  # a bad record already in the bank
    bank.put_points([("cases", StoredPoint(planted.id, planted.model_dump(), [0, 1.0, 0, 0]))])
    with pytest.raises(CaseBankError, match="is a case of namespace 'bob' in the bank"):
        import_jsonl(bank, _write(tmp_path / "alice.jsonl", [_record(alice_case)]))
    held = bank.get(BOB.id)
    assert held is not None and held.namespace == "bob" and held.answer == "hunter2"


def test_a_write_that_fails_midway_is_taken_back(
    bank: CaseBank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked lines can still fail to be written (a disk filled meanwhile): the records the
    import wrote go, and those it replaced come back as they were."""
    cases = [_case("alice", f"q{n}", str(n)) for n in range(1_200)]
    path = _write(tmp_path / "big.jsonl", [*map(_record, cases), _record(_visit(cases[0]))])
    import_jsonl(bank, path)  # stored once, as imported ...
    export_jsonl(bank, tmp_path / "backup.jsonl")
    before = _snapshot(bank)
    calls = 0
    put = bank.put_points

    def failing(points, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(28, "No space left on device")
        return put(points, **kwargs)

    monkeypatch.setattr(bank, "put_points", failing)
    with pytest.raises(OSError, match="No space left"):
        import_jsonl(bank, tmp_path / "backup.jsonl", trusted=True)  # ... replaced as a backup
    monkeypatch.undo()
    assert calls > 3  # it wrote, failed, then put back
    assert _snapshot(bank) == before


def test_ids_derive_from_content_as_every_writer_makes_them() -> None:
    """The ids an import accepts are the ones the bank, a relabel and old banks give."""
    case = _case("alice", "What is 2 + 2?", "4")
    with CaseBank(":memory:", dim=DIM) as bank:
        stored = bank.add(case.model_copy(update={"id": ""}), [1.0, 0, 0, 0])
    assert stored.id == case.id == case_id_for("alice", "What is 2 + 2?", outcome_key(case))
    assert len(set(content_ids(case))) == 3


def test_a_new_users_mistakes_are_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cases import` of a missing file, a report page or a binary; `cases export` and `cases
    report` into a folder that does not exist (refused alike, and the folder is not made)."""
    from memento.cli import main

    store = str(tmp_path / "bank")
    (tmp_path / "report.html").write_text("<!doctype html><p>a report</p>\n")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)))
    missing = tmp_path / "no" / "such"
    commands = {
        ("cases", "import", "--store", store, str(tmp_path / "missing.jsonl")): (1, "no such file"),
        ("cases", "import", "--store", store, str(tmp_path / "report.html")): (1, "line 1 is not"),
        ("cases", "import", "--store", store, str(tmp_path / "blob.bin")): (1, "line 1 is not"),
        ("cases", "import", "--store", store, str(tmp_path)): (1, "is a folder"),
        ("cases", "export", "--store", store, str(missing / "x.jsonl")): (
            2, f"memento cases export: cannot write {missing / 'x.jsonl'}: there is no folder",
        ),
        ("cases", "report", "--store", store, "--out", str(missing / "x.html")): (
            2, f"memento cases report: cannot write {missing / 'x.html'}: there is no folder",
        ),
    }  # fmt: skip
    for command, (code, message) in commands.items():
        assert main(list(command)) == code, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (command, err)
        assert ".tmp" not in err and "Traceback" not in err
    assert not missing.parent.exists()


def test_cases_check_names_a_case_whose_id_is_not_its_contents(bank: CaseBank) -> None:
    assert check_bank(bank).ok
    moved = BOB.model_copy(update={"namespace": "alice"})  # bob's case, carried into alice's
    bank.put_points([("cases", StoredPoint(moved.id, moved.model_dump(), [0, 1.0, 0, 0]))])
    report = check_bank(bank)
    assert [p for p in report.problems if "its id is not" in p] == [
        f"case {BOB.id} in 'alice': its id is not the one its namespace, question and outcome "
        f"give ({content_ids(moved)[0]})"
    ]
