"""Bank care carries general memories: export and import, `cases check`, delete by id.

A memory's visits are credit like a case's: they travel with it, are checked against it, and
go when it goes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from memory import CaseBank, Visit
from memory.adapters.langgraph_store import MementoStore
from memory.care.integrity import check_bank
from memory.care.transfer import export_jsonl, import_jsonl
from memory.errors import CaseBankError
from tests.fakes import HashingEmbedder

ALICE = ("memories", "alice")


def _filled(bank: CaseBank) -> str:
    store = MementoStore(bank, HashingEmbedder(dim=64))
    store.put(ALICE, "prefs", {"food": "thai"}, ttl=60)
    store.put(ALICE, "quiet", {"note": "unindexed"}, index=False)
    sum_case = {"question": "What is 2 + 2?", "answer": "4", "reward": 1.0}
    store.put(ALICE, store.key_for(ALICE, sum_case), sum_case)
    memory_id = bank.memories.find("memories:alice", "prefs").id
    visit = Visit(
        id="0b7d3c52-0000-4f55-a0f4-5b2f1f4f7c21",
        case_id=memory_id,
        namespace="memories:alice",
        target=1.0,
        created_at=time.time(),
    )
    bank.add_visits([(visit, [1.0] + [0.0] * 63)])
    return memory_id


def test_export_and_import_carry_memories_and_their_visits(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    with CaseBank(":memory:", dim=64) as source:
        memory_id = _filled(source)
        assert check_bank(source).ok
        assert export_jsonl(source, path) == (1, 1)
        stored = source.memories.get_many([memory_id])
    with CaseBank(":memory:", dim=64) as target:
        report = import_jsonl(target, path, trusted=True)
        assert (report.cases, report.memories, report.visits) == (1, 2, 1)
        assert target.memories.get_many([memory_id]) == stored
        assert check_bank(target).ok and target.count_visits() == 1
        store = MementoStore(target, HashingEmbedder(dim=64))
        assert store.search(ALICE, query="thai food", limit=1)[0].key == "prefs"
        assert store.get(ALICE, "quiet").value == {"note": "unindexed"}
        assert "quiet" not in {h.key for h in store.search(ALICE, query="unindexed")}


def test_an_edited_memory_is_refused_by_an_import(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    with CaseBank(":memory:", dim=64) as source:
        _filled(source)
        export_jsonl(source, path)
    lines = path.read_text().splitlines()
    edited = []
    for line in lines:
        record = json.loads(line)
        if record.get("kind") == "memories" and record["payload"]["key"] == "prefs":
            record["payload"]["value"] = {"food": "poison"}
            line = json.dumps(record)
        edited.append(line)
    path.write_text("\n".join(edited) + "\n")
    with CaseBank(":memory:", dim=64) as target:
        with pytest.raises(CaseBankError, match="not the id of this memory"):
            import_jsonl(target, path)
        report = import_jsonl(target, path, skip_bad=True)  # the memory and its visit skipped
        assert (report.memories, report.visits, len(report.skipped)) == (1, 0, 2)
        assert check_bank(target).ok


def test_delete_by_id_removes_a_memory_with_its_visits() -> None:
    with CaseBank(":memory:", dim=64) as bank:
        memory_id = _filled(bank)
        bank.delete([memory_id])
        assert bank.memories.get_many([memory_id]) == [] and bank.count_visits() == 0
        assert check_bank(bank).ok
