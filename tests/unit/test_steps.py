"""Credit costs a task one record whatever it was shown (issue 29), and that record stays what
its visits were: written again it merges, a case that goes leaves it, a relabel moves its target."""

from __future__ import annotations

import numpy as np
import pytest

from memory import Case, CaseBank, KernelQ, Visit
from memory.care.relabelling import relabel
from memory.policy.write import record_visits

DIM = 8


def _bank_of(n: int) -> tuple[CaseBank, list[str], np.random.Generator]:
    rng = np.random.default_rng(2)
    bank = CaseBank(":memory:", dim=DIM)
    cases = [
        (Case(id="", namespace="n", question=f"q{i}", reward=1.0, run_id=f"writer-{i}",
              created_at=0.0, updated_at=0.0), rng.standard_normal(DIM).tolist())
        for i in range(n)
    ]  # fmt: skip
    return bank, [c.id for c in bank.add_many(cases)], rng


def test_a_task_is_one_step_however_many_cases_it_read_or_left_unread() -> None:
    bank, ids, rng = _bank_of(32)
    contrastive = KernelQ(bank, credit="contrastive")
    for task in range(3):
        state = rng.standard_normal(DIM).tolist()
        visits = record_visits(
            bank, contrastive, [ids[:4]], [state], [1.0], namespace="n",
            run_id=f"task-{task}", unread_ids=ids[4:],
        )  # fmt: skip
        assert visits == 32
    assert bank.count_steps() == 3 and bank.count_visits() == 3 * 32
    state = next(s for _, s in bank.visit_states("n", run_id="task-0"))
    record_visits(bank, contrastive, [ids[:4]], [state], [1.0], namespace="n", run_id="task-0",
                  unread_ids=ids[4:])  # fmt: skip
    assert bank.count_steps() == 3 and bank.count_visits() == 3 * 32  # a retried update_q
    read = bank.list_visits(case_id=ids[0])
    assert len(read) == 3 and all(v.retrieved and v.target == 1.0 for v in read)
    unread = bank.list_visits(case_id=ids[9])
    assert len(unread) == 3 and not any(v.retrieved for v in unread)


def test_a_case_that_goes_leaves_its_steps_and_an_emptied_step_goes() -> None:
    bank, ids, rng = _bank_of(3)
    shared = KernelQ(bank)
    record_visits(bank, shared, [ids[:2]], [rng.standard_normal(DIM).tolist()], [1.0],
                  namespace="n", run_id="both")  # fmt: skip
    record_visits(bank, shared, [[ids[2]]], [rng.standard_normal(DIM).tolist()], [0.0],
                  namespace="n", run_id="alone")  # fmt: skip
    bank.delete([ids[0], ids[2]])
    assert bank.count_steps() == 1
    assert [(v.case_id, v.run_id) for v in bank.list_visits()] == [(ids[1], "both")]


def test_visits_of_one_step_must_share_its_target() -> None:
    bank, ids, rng = _bank_of(2)
    state = rng.standard_normal(DIM).tolist()
    visits = [
        (Visit(id=f"00000000-0000-0000-0000-00000000000{k}", case_id=ids[k], namespace="n",
               target=float(k), run_id="r", created_at=1.0), state)
        for k in range(2)
    ]  # fmt: skip
    with pytest.raises(ValueError, match="disagree on its target"):
        bank.add_visits(visits)
    assert bank.count_steps() == 0


def test_a_relabel_moves_the_target_of_the_run_that_wrote_the_case() -> None:
    bank, ids, rng = _bank_of(3)
    record_visits(bank, KernelQ(bank), [ids[1:]], [rng.standard_normal(DIM).tolist()], [1.0],
                  namespace="n", run_id="writer-0")  # fmt: skip
    relabelled = relabel(bank, ids[0], 0.0)
    assert relabelled.visits_rewritten == 2
    assert {v.target for v in bank.list_visits()} == {0.0} and bank.count_steps() == 1
