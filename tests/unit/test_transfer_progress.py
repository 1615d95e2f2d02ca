"""Export and import report their progress as they go, and the CLI shows it as a bar (plain
lines when standard error is not a terminal), keeping standard output for the result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from memento.cli import main
from memory import CaseBank
from memory.care import transfer
from memory.care.transfer import export_jsonl, import_jsonl
from tests.reliability.test_export_import import _fill


@pytest.fixture
def every_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "PROGRESS_EVERY", 2)


def test_export_reports_every_record_up_to_the_total(tmp_path: Path, every_two: None) -> None:
    reports: list[tuple[int, int]] = []
    with CaseBank(":memory:", dim=4) as bank:
        _fill(bank)
        records = bank.count() + bank.count_steps()
        export_jsonl(bank, tmp_path / "bank.jsonl", on_progress=lambda *r: reports.append(r))
    assert records > 4
    assert reports[-1] == (records, records)
    assert [done for done, _ in reports[:-1]] == list(range(2, records + 1, 2))
    assert {total for _, total in reports} == {records}


def test_import_counts_the_records_it_stores_and_not_the_bad_ones(
    tmp_path: Path, every_two: None
) -> None:
    path = tmp_path / "bank.jsonl"
    with CaseBank(":memory:", dim=4) as bank:
        _fill(bank)
        export_jsonl(bank, path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, '{"kind": "cases"}', ""]))  # one bad record
    reports: list[tuple[int, int]] = []
    with CaseBank(":memory:", dim=4) as bank:
        report = import_jsonl(bank, path, skip_bad=True, on_progress=lambda *r: reports.append(r))
    stored = report.cases + report.steps
    assert stored == len(lines) - 1 and len(report.skipped) == 1
    assert reports[-1] == (stored, stored)


def test_the_cli_shows_export_and_import_progress_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with CaseBank(str(tmp_path / "a"), dim=4) as bank:
        _fill(bank)
        records = bank.count() + bank.count_steps()
    path = tmp_path / "bank.jsonl"
    assert main(["cases", "export", "--store", str(tmp_path / "a"), str(path)]) == 0
    exported = capsys.readouterr()
    assert exported.out.startswith("exported ") and "record" not in exported.out
    final = re.compile(rf"^export: {records}/{records} record \[\d\d:\d\d<\d\d:\d\d, .*record/s\]")
    assert any(final.match(line) for line in exported.err.splitlines()), exported.err
    assert json.loads(path.read_text().splitlines()[0])["dim"] == 4
    assert main(["cases", "import", "--store", str(tmp_path / "b"), str(path)]) == 0
    imported = capsys.readouterr()
    assert f"import: {records}/{records} record [" in imported.err
