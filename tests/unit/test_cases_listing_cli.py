"""`memento cases list|show` say when they show part of what there is: the newest N cases of
more (--limit), the last visits of more."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from memento.cli import main
from memento.cli.cases import VISITS_SHOWN
from memory import Case, CaseBank, Visit


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, str]:
    """A bank of two cases, the first with more visits than `cases show` lists; (store, id)."""
    store = str(tmp_path / "bank")
    with CaseBank(store, dim=4) as bank:
        ids = []
        for i, question in enumerate(["What is 2 + 2?", "Name a colour"]):
            case = Case(id="", namespace="default", question=question, reward=1.0,
                        created_at=i, updated_at=i)  # fmt: skip
            ids.append(bank.add(case, [1.0, float(i), 0.0, 0.0]).id)
        visits = [
            (
                Visit(
                    id=str(uuid.uuid4()),
                    case_id=ids[0],
                    namespace="default",
                    target=1.0,
                    run_id=f"run-{n}",
                    created_at=n,
                ),
                [1.0, 0.0, 0.0, 0.0],
            )
            for n in range(VISITS_SHOWN + 2)
        ]
        bank.add_visits(visits)
    return store, ids[0]


def test_list_says_it_shows_the_newest_n_of_more(
    store: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cases", "list", "--store", store[0], "--limit", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2 cases in namespace 'default'; newest first; the newest 1 shown (--limit)"
    assert len(out) == 2
    assert main(["cases", "list", "--store", store[0]]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2 cases in namespace 'default'; newest first"


def test_show_says_it_lists_the_last_visits_of_more(
    store: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cases", "show", store[1][:8], "--store", store[0]]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"visits: {VISITS_SHOWN + 2} (the last {VISITS_SHOWN} shown)" in out
    assert sum(line.startswith("  target=") for line in out) == VISITS_SHOWN
