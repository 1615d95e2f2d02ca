"""Retrievals are records of the bank: a report reaches a process that did not make the read."""

from __future__ import annotations

import threading

import pytest

from memory import CaseBank
from memory.bank import retrievals
from memory.bank.retrievals import Retrieval, new_retrieval_id


def _retrieval(namespace: str = "default", run_id: str = "", **fields: object) -> Retrieval:
    return Retrieval(
        id=new_retrieval_id(),
        namespace=namespace,
        question="What is 17 times 23?",
        shown=["a", "b"],
        unread=["c"],
        run_id=run_id,
        **fields,
    )


def test_a_retrieval_survives_closing_the_bank_with_its_vector(tmp_path) -> None:
    location = str(tmp_path / "bank")
    with CaseBank(location, dim=4) as bank:
        saved = bank.retrievals.save(_retrieval(), [0.0, 1.0, 0.0, 0.0])
    with CaseBank(location, dim=None) as reopened:
        held = reopened.retrievals.get(saved.id)
    assert held is not None
    retrieval, vector = held
    assert (retrieval.shown, retrieval.unread, retrieval.question) == (
        ["a", "b"],
        ["c"],
        saved.question,
    )
    assert vector == pytest.approx([0.0, 1.0, 0.0, 0.0])
    assert retrieval.created_at > 0


def test_an_outcome_is_recorded_once_however_many_reports_arrive(bank: CaseBank) -> None:
    saved = bank.retrievals.save(_retrieval(), [1.0] * bank.dim)
    firsts: list[bool] = []

    def report(n: int) -> None:
        firsts.append(bank.retrievals.report(saved.id, {"reward": n}) is None)

    threads = [threading.Thread(target=report, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert firsts.count(True) == 1
    held, _ = bank.retrievals.get(saved.id)
    assert held.outcome is not None and held.outcome["reward"] in range(8)
    assert bank.retrievals.report(saved.id, {"reward": 99}) == held.outcome


def test_a_run_finds_its_own_retrievals_and_no_other_runs_or_namespaces(bank: CaseBank) -> None:
    vector = [1.0] * bank.dim
    mine = [bank.retrievals.save(_retrieval(run_id="run-1"), vector) for _ in range(3)]
    bank.retrievals.save(_retrieval(run_id="run-2"), vector)
    bank.retrievals.save(_retrieval(namespace="other", run_id="run-1"), vector)
    found = bank.retrievals.of_run("default", "run-1")
    assert [r.id for r, _ in found] == [r.id for r in sorted(mine, key=lambda r: r.created_at)]


def test_unknown_and_malformed_ids_are_not_found_or_refused(bank: CaseBank) -> None:
    assert bank.retrievals.get(new_retrieval_id()) is None
    assert bank.retrievals.get("not-a-uuid") is None
    with pytest.raises(ValueError, match="a retrieval id is a UUID"):
        bank.retrievals.save(_retrieval().model_copy(update={"id": "r1"}), [1.0] * bank.dim)
    with pytest.raises(KeyError):
        bank.retrievals.report(new_retrieval_id(), {"reward": 1})


def test_a_namespace_keeps_its_newest_retrievals_within_the_bound(bank, monkeypatch) -> None:
    monkeypatch.setattr(retrievals, "MAX_KEPT", 10)
    vector = [1.0] * bank.dim
    saved = [bank.retrievals.save(_retrieval(created_at=float(t + 1)), vector) for t in range(12)]
    bank.retrievals.save(_retrieval(namespace="other"), vector)
    assert bank.retrievals.count("default") <= 10
    assert bank.retrievals.get(saved[0].id) is None  # the oldest went first
    assert bank.retrievals.get(saved[-1].id) is not None
    assert bank.retrievals.count("other") == 1


def test_a_long_task_is_kept_as_its_case_would_hold_it(bank: CaseBank) -> None:
    long = _retrieval().model_copy(update={"question": "x" * 50_000})
    saved = bank.retrievals.save(long, [1.0] * bank.dim)
    assert len(saved.question) < 21_000
    assert bank.retrievals.get(saved.id)[0].question == saved.question
