"""A stored case has a total size, whatever the shape of what it holds, and is cut once.

The attacks: a tool call with 50,000 arguments (a 739 KB trajectory), a 200k-key value put
through the LangGraph store (3.5 MB), and a value over the caps put through the store, whose
text was cut twice, so that it was stored under another id than its key.
"""

from __future__ import annotations

import json

import pytest

from memory import Case, CaseBank
from memory.adapters.langgraph_store import MementoStore
from memory.bank.limits import MAX_CASE_BYTES, MAX_TRAJECTORY_BYTES, capped_case
from tests.fakes import HashingEmbedder

ALICE = ("memento", "alice")


def _case(**fields: object) -> Case:
    base = {"id": "", "namespace": "default", "question": "q", "reward": 1.0}
    return Case(**{**base, "created_at": 0.0, "updated_at": 0.0, **fields})


def _stored_bytes(bank: CaseBank) -> int:
    (point,) = [point for kind, point in bank.stored_points() if kind == "cases"]
    return len(json.dumps(point.payload, ensure_ascii=False).encode())


def _nested(depth: int) -> dict:
    value: dict = {"leaf": "x" * 2_000}
    for level in range(depth):
        value = {f"level{level}": value, "pad": ["y" * 900] * 30}
    return value


FIFTY_THOUSAND_ARGUMENTS = {
    "cycle": 0,
    "step": "call the tool",
    "output": "done",
    "tool_calls": [
        {"name": "lookup", "args": {f"arg{i}": "v" * 12 for i in range(50_000)}, "result": "ok"}
    ],
}
HOSTILE = {
    "50,000 arguments": {"trajectory": [FIFTY_THOUSAND_ARGUMENTS]},
    "200k keys": {"trajectory": [{f"k{i}": i for i in range(200_000)}]},
    "20 steps of 50 long fields": {
        "trajectory": [{f"f{i}": "z" * 5_000 for i in range(60)} for _ in range(25)]
    },
    "nested 40 deep": {"trajectory": [_nested(40)]},
    "long keys": {"trajectory": [{"k" * 100_000: "v", "w" * 50_000: ["x" * 10] * 10_000}]},
    "many models": {"models": {f"role{i}" * 50: "m" * 10_000 for i in range(10_000)}},
    "every text at its cap, four bytes a character": {
        "question": "𝄞" * 30_000,
        "answer": "𝄞" * 9_000,
        "plan": ["𝄞" * 900] * 40,
        "judge_rationale": "𝄞" * 3_000,
        "error": "𝄞" * 3_000,
        "run_id": "𝄞" * 1_000,
        "trajectory": [{"out": "𝄞" * 5_000} for _ in range(30)],
    },
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_case_of_any_shape_is_stored_within_the_total_cap_and_cut_once(name: str) -> None:
    case = _case(**HOSTILE[name])
    capped = capped_case(case)
    assert len(capped.model_dump_json().encode()) <= MAX_CASE_BYTES
    trajectory = json.dumps(capped.trajectory, ensure_ascii=False).encode()
    assert len(trajectory) <= MAX_TRAJECTORY_BYTES
    assert capped_case(capped) == capped  # a capped case passes the cap unchanged


def test_a_tool_call_with_50000_arguments_stores_a_small_case() -> None:
    """The bank caps every case it writes: the trajectory keeps the call's first arguments and
    says how many more there were."""
    with CaseBank(":memory:", dim=4) as bank:
        stored = bank.add(_case(trajectory=[FIFTY_THOUSAND_ARGUMENTS]), [1.0, 0.0, 0.0, 0.0])
        size = _stored_bytes(bank)
    assert size < 8_000  # 739 KB before the cap
    args = stored.trajectory[0]["tool_calls"][0]["args"]
    assert args["arg0"] == "v" * 12 and args["…"] == "49951 more keys cut"


def test_a_store_value_over_the_caps_is_stored_under_its_key_once() -> None:
    """The store derives the key from the capped case and the bank caps it again: the second
    cap must change nothing, or the case lands under another id than its key."""
    value = {
        "question": "What is " + "very " * 5_000 + "long?",
        "answer": "A" * 10_000,
        "plan": [f"step {i}" for i in range(30)],
        "reward": 1.0,
        "trajectory": [{f"k{i}": i for i in range(200_000)}],
    }
    with CaseBank(":memory:", dim=64) as bank:
        store = MementoStore(bank, HashingEmbedder(dim=64))
        key = store.key_for(ALICE, value)
        store.put(ALICE, key, value)
        item = store.get(ALICE, key)
        assert item is not None and item.value["attempts"] == 1
        store.put(ALICE, key, value)  # the same case again: nothing new
        assert bank.count() == 1 and store.get(ALICE, key).value["attempts"] == 1
        assert _stored_bytes(bank) < 60_000  # 3.5 MB before the cap
