"""The benchmarks' synthetic bank writes visits as the product credits a step.

A step's cases all earn the step's one reward, and the step is the task's (its run id, cycle 0,
its state vector); a bank that stores a step once refuses visits of one step that disagree.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmarks.scale_data import NAMESPACE, SyntheticBank
from memory import case_id_for, outcome_key


def _tasks(data: SyntheticBank) -> dict[str, list]:
    by_run: dict[str, list] = defaultdict(list)
    for chunk in data.visit_chunks():
        for visit, state in chunk:
            by_run[visit.run_id].append((visit, state))
    return by_run


def test_a_tasks_visits_share_one_target_cycle_and_state() -> None:
    data = SyntheticBank(300, dim=8, chunk=100)
    tasks = _tasks(data)
    assert sorted(tasks) == sorted(f"run-{i}" for i in range(300))
    targets = []
    for run, visits in tasks.items():
        assert len(visits) == data.visits_per_task
        assert {v.target for v, _ in visits} in ({0.0}, {1.0}), run
        assert {v.cycle for v, _ in visits} == {0}
        first = visits[0][1]
        assert all(np.array_equal(state, first) for _, state in visits)
        targets.append(visits[0][0].target)
    assert 0.3 < np.mean(targets) < 0.7  # tasks still succeed and fail, about half each


def test_the_draws_are_the_same_every_time() -> None:
    def drawn(data: SyntheticBank) -> list[tuple[str, str, float]]:
        return [(v.run_id, v.case_id, v.target) for c in data.visit_chunks() for v, _ in c]

    assert drawn(SyntheticBank(200, dim=8)) == drawn(SyntheticBank(200, dim=8))


def test_past_only_visits_no_case_written_after_the_task() -> None:
    data = SyntheticBank(400, dim=8, chunk=100, past_only=True)
    cases = (data.case(i) for i in range(400))
    index = {case_id_for(NAMESPACE, c.question, outcome_key(c)): i for i, c in enumerate(cases)}
    for run, visits in _tasks(data).items():
        task = int(run.removeprefix("run-"))
        read = {index[v.case_id] for v, _ in visits}
        assert {case % data.n_families for case in read} == {task % data.n_families}
        first_of_its_family = task < data.n_families
        assert read == {task} if first_of_its_family else max(read) < task, run
