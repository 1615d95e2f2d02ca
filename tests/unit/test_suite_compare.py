"""A candidate rule judged against a full run's peers: `suite_compare --criteria`."""

from __future__ import annotations

import json
from typing import Any

from benchmarks.suite_compare import criteria_with


def _curves(level: float, rounds: int = 4) -> dict[str, Any]:
    flat = {"mean": [level] * rounds, "sd": [0.0] * rounds}
    return {"train": flat, "repeated": flat, "held_out": flat}


def _record(kernel: float, judged_as: str = "kernel") -> dict[str, Any]:
    rules = {"off": 0.3, "oracle": 0.9, "similarity": 0.25, "ucb": 0.85, judged_as: kernel}
    return {
        "judged": "kernel",
        "peers": ["similarity", "ucb"],
        "summary": {"decoys": {rule: _curves(level) for rule, level in rules.items()}},
        "planted": {"decoys": {rule: [] for rule in rules}},
    }


def test_the_candidate_replaces_the_judged_rule_and_is_judged_by_the_first_runs_peers() -> None:
    before = _record(kernel=0.88)
    after = json.loads(json.dumps(_record(kernel=0.30, judged_as="kernel:half_life=4")))
    del after["summary"]["decoys"]["ucb"]  # a candidate run alone has no peers of its own

    judged_before, judged_after = criteria_with(before, after)

    assert all(check.met for check in judged_before)
    missed = [check.text for check in judged_after if not check.met]
    assert any("best peer (ucb) 0.850" in text for text in missed)
    assert any("similarity 0.250 + 0.15" in text for text in missed)
    assert len(judged_after) == len(judged_before)


def test_the_paired_difference_is_taken_seed_by_seed_with_its_error_over_seeds() -> None:
    from benchmarks.suite_compare import paired, suite_paired

    def seed(late: float) -> dict[str, list[float | None]]:
        return {
            "train": [0.1, 0.1, 0.1],
            "repeated": [0.0, None, late],
            "held_out": [0.0, 0.0, late],
        }

    before = [seed(0.5), seed(0.2)]
    after = [seed(0.6), seed(0.5), seed(0.9)]  # a seed only one run holds is left out

    result = paired(before, after)

    assert result["paired_difference"] == 0.2  # seed 0: +0.1, seed 1: +0.3 (training ignored)
    assert result["paired_standard_error"] == 0.1
    rows = [{"rule": "kernel", **result}, {"rule": "kernel", **paired(before, before[:2])}]
    assert suite_paired(rows, "kernel") == (0.1, 0.05)
