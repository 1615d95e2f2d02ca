"""`memento cases export|import` say what they did to a bank: an untrusted import marks every
case "imported" (a person's relabel included) and its summary says so, with how to keep them;
neither takes a --namespace it would ignore (every namespace goes, records keep theirs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from memento.cli import main
from memory import Case, CaseBank


@pytest.fixture
def export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An export of a bank with a judged case and a relabelled one."""
    source = str(tmp_path / "source")
    with CaseBank(source, dim=4) as bank:
        for question, provenance in (("q one", "ground_truth"), ("q two", "relabelled")):
            case = Case(id="", namespace="default", question=question, reward=1.0,
                        created_at=0, updated_at=0, provenance=provenance)  # fmt: skip
            bank.add(case, [1.0, float(len(question)), 0.0, 0.0])
    path = tmp_path / "bank.jsonl"
    assert main(["cases", "export", "--store", source, str(path)]) == 0
    capsys.readouterr()
    return path


def test_an_untrusted_import_says_it_marked_the_cases_imported(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cases", "import", "--store", str(tmp_path / "a"), str(export)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"imported 2 cases and 0 visits from {export}"
    assert out[1] == (
        "marked 2 cases 'imported' (unverified; they were 1 ground-truth, 1 relabelled): "
        "--trusted keeps their provenance, for a backup of your own"
    )


def test_a_trusted_import_keeps_provenance_and_says_nothing_more(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(tmp_path / "b")
    assert main(["cases", "import", "--store", target, str(export), "--trusted"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"imported 2 cases and 0 visits from {export}"]
    with CaseBank(target, dim=None) as bank:
        assert sorted(c.provenance for c in bank.list_cases()) == ["ground_truth", "relabelled"]


@pytest.mark.parametrize("action", ["export", "import"])
def test_export_and_import_take_no_namespace_they_would_ignore(
    action: str, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["cases", action, str(export), "--namespace", "team-a"])
    assert "unrecognized arguments: --namespace" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--namespace", "team-a", "cases", action, str(export)])
    assert f"--namespace does not apply to `memento cases {action}`" in capsys.readouterr().err
