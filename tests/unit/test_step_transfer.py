"""Export and import carry credit as steps (issue 29): a step's state once, its cases by id.

An export writes one "steps" line per step; an import takes it back exactly (the same steps,
states and Q), reads exports written before steps (one "visits" line per case read) as the
steps their visits form, and refuses a step line the bank would never have written: a case of
another namespace or of nowhere, an id that is not its (namespace, run, cycle)'s.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from memory import Case, CaseBank, CaseBankError, KernelQ, Visit
from memory.bank.identity import content_ids
from memory.bank.steps import Step, step_id, visit_id
from memory.care.export_format import MAX_STEP_BYTES
from memory.care.import_check import check_import
from memory.care.integrity import check_bank
from memory.care.transfer import export_jsonl, import_jsonl
from memory.engines.protocol import StoredPoint

DIM = 4
STATES = ([1.0, 0.0, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0])


def _case(namespace: str, question: str) -> Case:
    case = Case(
        id="", namespace=namespace, question=question, answer="42", reward=1.0,
        created_at=1.0, updated_at=1.0,
    )  # fmt: skip
    return case.model_copy(update={"id": content_ids(case)[0]})


CASES = [_case("n", f"What is {k} + {k}?") for k in range(4)]
BOB = _case("bob", "What is bob's secret?")


def _visit(case: Case, run: str, *, cycle: int = 0, target: float = 1.0, read: bool = True):
    return Visit(
        id=visit_id(run, case.id, cycle, retrieved=read), case_id=case.id,
        namespace=case.namespace, target=target, retrieved=read, run_id=run, cycle=cycle,
        created_at=2.0 + cycle,
    )  # fmt: skip


def _credit(bank: CaseBank) -> None:
    """Three runs: one reads two cases and leaves two unread (contrastive credit), one reads
    a case at each of two cycles, one reads all four."""
    for case in CASES:
        bank.put_case(case, [1.0, float(len(case.question)), 0.0, 0.5])
    visits = [(_visit(c, "r1", read=i < 2), STATES[0]) for i, c in enumerate(CASES)]
    visits += [(_visit(CASES[0], "r2", target=0.0), STATES[1])]
    visits += [(_visit(CASES[3], "r2", cycle=1), STATES[2])]
    visits += [(_visit(c, "r3", target=0.5), STATES[1]) for c in CASES]
    bank.add_visits(visits)


def _q(bank: CaseBank) -> dict[str, tuple[float, ...]]:
    """Each case's learned Q and its nearest visits, at every state: what import must keep."""
    q = KernelQ(bank, credit="contrastive", half_life=0, change_after=0)
    found = {}
    for n, state in enumerate(STATES):
        candidates = bank.search(state, namespace="n", limit=len(CASES))
        learned = q.score_parts(np.array(state), candidates).learned
        for c, value in zip(candidates, learned, strict=True):
            near = bank.nearest_visit_columns(state, [c.case.id], per_case=8)
            found[f"{n}:{c.case.id}"] = (float(value), *near.targets.tolist(), *near.times)
    return found


def _stored_steps(bank: CaseBank) -> dict[str, tuple[str, list[float]]]:
    return {
        p.id: (json.dumps(p.payload, sort_keys=True), [round(x, 6) for x in p.vector or []])
        for kind, p in bank.stored_points()
        if kind == "steps"
    }


def test_an_export_carries_each_step_once_and_imports_it_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    with CaseBank(":memory:", dim=DIM) as source:
        _credit(source)
        assert (source.count_steps(), source.count_visits()) == (4, 10)
        assert export_jsonl(source, path) == (4, 4)
        steps, q, visits = _stored_steps(source), _q(source), source.list_visits()
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert sorted(r["kind"] for r in records) == ["cases"] * 4 + ["steps"] * 4
    for record in records[4:]:
        assert Step.model_validate(record["payload"], strict=True).id == record["id"]
        assert set(record["payload"]) == set(Step.model_fields)
    with CaseBank(":memory:", dim=DIM) as target:
        report = import_jsonl(target, path, trusted=True)
        assert (report.cases, report.steps, report.visits, report.skipped) == (4, 4, 10, [])
        assert _stored_steps(target) == steps
        assert target.count_visits() == 10 and target.list_visits() == visits
        assert _q(target) == q
        assert check_bank(target).ok


def _legacy_line(visit: Visit, vector: list[float]) -> str:
    """A visit's line as an export written before steps had it."""
    return json.dumps(
        {"kind": "visits", "id": visit.id, "payload": visit.model_dump(), "vector": vector}
    )


def _export(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([json.dumps({"format": "memento-bank/1", "dim": DIM}), *lines]))
    return path


def _case_line(case: Case) -> str:
    payload = case.model_dump()
    return json.dumps({"kind": "cases", "id": case.id, "payload": payload, "vector": STATES[0]})


def test_an_export_written_before_steps_imports_a_runs_visits_as_one_step(
    tmp_path: Path,
) -> None:
    visits = [_visit(c, "r1", read=i < 3) for i, c in enumerate(CASES)]
    lines = [*map(_case_line, CASES), *(_legacy_line(v, STATES[1]) for v in visits)]
    with CaseBank(":memory:", dim=DIM) as bank:
        report = import_jsonl(bank, _export(tmp_path / "old.jsonl", lines))
        assert (report.cases, report.steps, report.visits) == (4, 0, 4)
        assert (bank.count_steps(), bank.count_visits()) == (1, 4)
        assert sorted(v.model_dump_json() for v in bank.list_visits()) == sorted(
            v.model_dump_json() for v in visits
        )
        assert check_bank(bank).ok
        with CaseBank(":memory:", dim=DIM) as written:  # as the bank itself stores them
            for case in CASES:
                written.put_case(case, STATES[0])
            written.add_visits([(v, STATES[1]) for v in visits])
            assert _stored_steps(bank) == _stored_steps(written)


def test_an_old_import_that_fails_once_written_is_taken_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Visits merge into the steps held (or, with another target, make steps of their own):
    the journal notes every step they may write, so an undo leaves the bank as it was."""
    with CaseBank(":memory:", dim=DIM) as bank:
        _credit(bank)
        before = _stored_steps(bank)
        visits = [_visit(CASES[3], "r2", cycle=1, target=0.25), _visit(CASES[1], "r9")]
        visits.append(_visit(CASES[2], "r2", cycle=1, target=1.0))  # joins r2's cycle 1
        visits = [v.model_copy(update={"id": str(uuid.uuid4())}) for v in visits]  # older ids
        path = _export(tmp_path / "old.jsonl", [_legacy_line(v, STATES[2]) for v in visits])
        put, calls = bank.put_points, []

        def written_then_failed(points, **kwargs):
            put(points, **kwargs)
            calls.append(1)
            if len(calls) == 1:  # the import's write; the undo's go through
                raise OSError(28, "No space left on device")

        monkeypatch.setattr(bank, "put_points", written_then_failed)
        with pytest.raises(OSError, match="No space left"):
            import_jsonl(bank, path)
        monkeypatch.undo()
        assert _stored_steps(bank) == before


@pytest.fixture
def bank() -> Iterator[CaseBank]:
    """A bank holding case 0 of namespace n and bob's case, read once by bob."""
    with CaseBank(":memory:", dim=DIM) as bank:
        for case in (CASES[0], BOB):
            bank.put_case(case, STATES[0])
        bank.add_visits([(_visit(BOB, "b1"), STATES[0])])
        yield bank


def _step(reads: list[str], unread: list[str] | None = None, **fields: object) -> dict:
    """A step line of namespace n, run r1, `fields` changed in its payload as given."""
    step = Step(
        id=step_id("n", "r1", 0), namespace="n", run_id="r1", target=1.0, created_at=2.0,
        read=reads, unread=unread or [],
    )  # fmt: skip
    payload = {**step.model_dump(), **fields}
    return {"kind": "steps", "id": payload["id"], "payload": payload, "vector": STATES[1]}


MISSING = str(uuid.UUID(int=7))
HOSTILE_STEPS = {
    "reads bob's case": (
        _step([CASES[0].id, BOB.id]),
        f"field 'read': case {BOB.id} is in namespace 'bob', not the step's 'n'",
    ),
    "leaves a missing case unread": (
        _step([CASES[0].id], [MISSING]),
        f"field 'unread': case {MISSING} is neither in this file nor in the bank",
    ),
    "run edited": (
        _step([CASES[0].id], run_id="r2"),
        "field 'id': .* is not the id of this step's namespace, run and cycle",
    ),
    "moved to bob": (_step([BOB.id], namespace="bob"), "field 'id': .* is not the id"),
    "bob's step id": (
        _step([CASES[0].id], id=step_id("bob", "b1", 0)),
        "field 'id': .* is not the id of this step's namespace",
    ),
    "read id not a UUID": (_step(["case-1"]), "field 'read': must hold cases' UUIDs"),
    "a case read twice": (_step([CASES[0].id] * 2), "field 'read': names a case twice"),
    "no case": (_step([]), "a step credits at least one case"),
    "NaN target": (_step([CASES[0].id], target=float("nan")), "field 'target': must be a finite"),
    "cycle as text": (_step([CASES[0].id], cycle="0"), "field 'cycle'"),
    "read as a string": (_step([], read=CASES[0].id), "field 'read'"),
    "over the size cap": (
        _step([CASES[0].id], [str(uuid.UUID(int=n)) for n in range(MAX_STEP_BYTES // 36)]),
        "the step is .* bytes, over the",
    ),
}


@pytest.mark.parametrize(("record", "message"), HOSTILE_STEPS.values(), ids=HOSTILE_STEPS)
def test_a_hostile_step_is_refused_in_a_line_naming_it(
    record: dict, message: str, bank: CaseBank, tmp_path: Path
) -> None:
    """The whole-file pass refuses it (an import then writes nothing, or skips it)."""
    checked = check_import(bank, _export(tmp_path / "f.jsonl", [json.dumps(record)]), DIM)
    assert checked.good == 0 and list(checked.bad) == [2]
    assert re.search(message, checked.bad[2]), checked.bad[2]


def test_a_step_refused_for_several_cases_is_one_bad_line(bank: CaseBank, tmp_path: Path) -> None:
    """Bob's case (in the bank) and a missing one are both found wrong at the end of the pass;
    the step is one skipped line, and the good records are counted once each."""
    later = _case("n", "What comes later?")
    bad = _step([BOB.id, MISSING, later.id], run_id="r2", id=step_id("n", "r2", 0))
    good = _step([later.id, CASES[0].id])
    lines = [json.dumps(bad), json.dumps(good), _case_line(later)]
    path = _export(tmp_path / "f.jsonl", lines)
    checked = check_import(bank, path, DIM)
    assert list(checked.bad) == [2] and checked.good == 2
    assert f"case {BOB.id} is in namespace 'bob'" in checked.bad[2]
    report = import_jsonl(bank, path, skip_bad=True)
    assert (report.cases, report.steps, report.visits, len(report.skipped)) == (1, 1, 2, 1)
    assert check_bank(bank).ok


def test_a_refused_case_refuses_the_steps_that_credit_it(bank: CaseBank, tmp_path: Path) -> None:
    edited = json.loads(_case_line(CASES[1]))
    edited["payload"]["answer"] = "43"  # its id is no longer its content's
    lines = [json.dumps(edited), json.dumps(_step([CASES[0].id], [CASES[1].id]))]
    report = import_jsonl(bank, _export(tmp_path / "f.jsonl", lines), skip_bad=True)
    assert report.skipped[1] == "line 3: field 'unread': its case (line 2) is refused"
    assert (report.cases, report.steps) == (0, 0) and check_bank(bank).ok


def test_a_step_id_the_bank_holds_in_another_namespace_is_refused(
    bank: CaseBank, tmp_path: Path
) -> None:
    """Only a step stored around the rules can hold another namespace's id; it stays so."""
    planted = Step(id=step_id("n", "r1", 0), namespace="bob", run_id="b9", target=0.0,
                   created_at=1.0, read=[BOB.id])  # fmt: skip
    bank.put_points([("steps", StoredPoint(planted.id, planted.model_dump(), STATES[0]))])
    with pytest.raises(CaseBankError, match="is a step of namespace 'bob' in the bank"):
        import_jsonl(bank, _export(tmp_path / "f.jsonl", [json.dumps(_step([CASES[0].id]))]))
    report = check_bank(bank)
    assert f"step {planted.id} in 'bob': its id is not the one its namespace" in "".join(
        report.problems
    )


def test_the_cli_says_how_many_visits_and_steps_it_moved_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from memento.cli import main

    source, target, path = str(tmp_path / "a"), str(tmp_path / "b"), tmp_path / "bank.jsonl"
    with CaseBank(source, dim=DIM) as bank:
        _credit(bank)
    assert main(["cases", "export", "--store", source, str(path)]) == 0
    assert capsys.readouterr().out == f"exported 4 cases and 10 visits in 4 steps to {path}\n"
    assert main(["cases", "import", "--store", target, str(path), "--trusted"]) == 0
    assert capsys.readouterr().out == f"imported 4 cases and 10 visits in 4 steps from {path}\n"
    assert main(["cases", "check", "--store", target, "--all-namespaces"]) == 0
    assert capsys.readouterr().out == "4 cases, 10 visits (4 steps) in all namespaces\nok\n"
