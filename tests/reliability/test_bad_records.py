"""One bad record never breaks a namespace: imports check every line first, and a bank that
already holds a bad record still lists, runs and exports, with `cases check` naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memento.cli import main
from memory import Case, CaseBank, CaseBankError
from memory.care.transfer import export_jsonl, import_jsonl
from memory.engines.protocol import StoredPoint
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, final_plan_reply, run_task, scripted


def _good_export(tmp_path: Path) -> Path:
    embedder = HashingEmbedder(dim=64)
    with CaseBank(":memory:", dim=64) as bank:
        for question in ("What is 2 + 2?", "What is 3 + 3?"):
            case = Case(
                id="",
                namespace="default",
                question=question,
                answer="x",
                reward=1.0,
                created_at=0,
                updated_at=0,
            )
            bank.add(case, embedder.embed_query(question))
        export_jsonl(bank, tmp_path / "good.jsonl")
    return tmp_path / "good.jsonl"


def _with_a_bad_line(tmp_path: Path) -> Path:
    lines = _good_export(tmp_path).read_text().splitlines()
    record = json.loads(lines[2])
    record["payload"]["reward"] = "high"  # a wrongly typed field
    lines[2] = json.dumps(record)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_import_with_a_bad_record_writes_nothing_and_names_the_line(tmp_path: Path) -> None:
    path = _with_a_bad_line(tmp_path)
    with CaseBank(":memory:", dim=64) as bank:
        with pytest.raises(
            CaseBankError, match=r"1 bad records, so nothing was imported .*line 3: field 'reward'"
        ):
            import_jsonl(bank, path)
        assert bank.count() == 0
        report = import_jsonl(bank, path, skip_bad=True)
        assert (report.cases, report.skipped[0][:23]) == (1, "line 3: field 'reward':")
        assert bank.count() == 1


def test_the_cli_import_refuses_then_skips_with_skip_bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, store = _with_a_bad_line(tmp_path), str(tmp_path / "bank")
    assert main(["cases", "import", "--store", store, str(path)]) == 1
    assert "nothing was imported" in capsys.readouterr().err
    assert main(["cases", "import", "--store", store, "--skip-bad", str(path)]) == 0
    assert "skipped line 3: field 'reward'" in capsys.readouterr().out


async def test_a_bank_holding_a_bad_record_still_lists_runs_exports_and_checks(
    graph_for, bank: CaseBank, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    embedder = HashingEmbedder(dim=64)
    question = "What is 17 * 23 + 4?"
    good = Case(
        id="",
        namespace="default",
        question=question,
        answer="395",
        reward=1.0,
        created_at=0,
        updated_at=0,
    )
    bank.add(good, embedder.embed_query(question))
    bad_id = "00000000-0000-4000-8000-000000000001"
    bad = {**good.model_dump(), "id": bad_id, "question": "What is 17 * 23 + 3?", "reward": "high"}
    bank.put_points([("cases", StoredPoint(bad_id, bad, embedder.embed_query(bad["question"])))])

    assert [c.question for c in bank.list_cases()] == [question]
    result = await run_task(
        graph_for(scripted(final_plan_reply("396"))),
        {"task": "What is 17 * 23 + 5?", "ground_truth": "396"},
        context=make_context(),
    )
    assert [c.question for c in result["retrieved"]] == [question]
    export_jsonl(bank, tmp_path / "all.jsonl")  # exports what is stored, the bad record too
    assert len((tmp_path / "all.jsonl").read_text().splitlines()) >= 4

    from memory.care.integrity import check_bank

    report = check_bank(bank)
    assert not report.ok
    assert any(
        p.startswith(f"case {bad_id} does not parse: field 'reward'") for p in report.problems
    )
