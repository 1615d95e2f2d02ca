"""Export to JSONL and import back round-trips a bank exactly, across engines."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from memory import Case, CaseBank, CaseBankError, EmbeddingSizeMismatchError, Visit
from memory.care.transfer import export_jsonl, import_jsonl


def _fill(bank: CaseBank) -> None:
    now = time.time()
    for i in range(6):
        case = Case(
            id="",
            namespace=f"ns{i % 2}",
            question=f"q{i % 4}",
            answer=str(i % 4),  # tasks 4 and 5 repeat the outcomes of 0 and 1: attempts
            reward=(i % 4) / 5,
            plan=[f"step {i % 4}"],
            created_at=now,
            updated_at=now,
        )
        stored = bank.add(case, [float(i + 1), 1.0, 0.5, -float(i)])
        bank.add_visits(
            [
                (
                    Visit(
                        id=str(uuid.uuid4()),
                        case_id=stored.id,
                        namespace=stored.namespace,
                        target=i / 7,
                        run_id=f"r{i}",
                        retrieved=i % 2 == 0,
                        created_at=now,
                    ),
                    [1.0, float(i), 0.0, 1.0],
                )
            ]
        )


def _snapshot(bank: CaseBank) -> tuple:
    cases = sorted(c.model_dump_json() for c in bank.list_cases())
    visits = sorted(v.model_dump_json() for v in bank.list_visits())
    ids = [c.id for c in bank.list_cases()]
    vectors = {k: [round(x, 5) for x in v] for k, v in bank.case_vectors(ids).items()}
    return cases, visits, vectors


def test_export_then_import_into_another_engine_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    with CaseBank(f"edge://{tmp_path / 'a'}", dim=4) as source:
        _fill(source)
        assert export_jsonl(source, path) == (source.count(), source.count_steps())
        before = _snapshot(source)
    with CaseBank(f"local://{tmp_path / 'b'}", dim=4) as target:
        report = import_jsonl(target, path, trusted=True)
        assert (report.cases, report.steps, report.visits, report.skipped) == (4, 6, 6, [])
        assert _snapshot(target) == before
        attempts = sorted(c.attempts for c in target.list_cases())
        assert attempts == [1, 1, 2, 2]


def test_a_broken_line_or_another_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    with CaseBank(":memory:", dim=4) as source:
        _fill(source)
        export_jsonl(source, path)
    with CaseBank(":memory:", dim=8) as other, pytest.raises(EmbeddingSizeMismatchError):
        import_jsonl(other, path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:3], '{"kind": "cases", "id": "x"', *lines[3:]]) + "\n")
    with CaseBank(":memory:", dim=4) as target, pytest.raises(CaseBankError, match="line 4"):
        import_jsonl(target, path)


def test_a_failed_export_leaves_no_file_behind(tmp_path: Path, monkeypatch) -> None:
    with CaseBank(":memory:", dim=4) as bank:
        _fill(bank)
        points = bank.stored_points

        def failing():
            for number, point in enumerate(points()):
                if number == 3:
                    raise OSError("disk full")
                yield point

        monkeypatch.setattr(bank, "stored_points", failing)
        target = tmp_path / "bank.jsonl"
        with pytest.raises(CaseBankError, match=r"cannot write .*bank\.jsonl: disk full"):
            export_jsonl(bank, target)  # one line naming the file asked for, not a .tmp
    assert list(tmp_path.iterdir()) == []  # neither the export nor its temporary file
