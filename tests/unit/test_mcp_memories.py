"""`memento mcp`'s general-memory tools: their service without a transport (what they write,
refuse and credit, a report reaching a server that did not search), and the tools as an
in-memory client session sees them (schemas, structured results)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from memento.mcp_memories import GeneralMemories
from memento.mcp_memory import CaseMemory, MemoryToolError
from memento.mcp_server import build_server
from memory import CaseBank, KernelQ
from tests.conftest import make_context
from tests.fakes import HashingEmbedder

MEMORY_TOOLS = {
    "search_memories",
    "add_memory",
    "update_memory",
    "delete_memory",
    "get_memory",
    "list_memories",
}


def served(bank: CaseBank, embedder: HashingEmbedder, **context: object) -> CaseMemory:
    ctx = make_context(**context)
    return CaseMemory(bank, embedder, lambda c: KernelQ(bank), ctx, np.random.default_rng(0))


def memories_for(bank: CaseBank, embedder: HashingEmbedder, **context: object) -> GeneralMemories:
    return GeneralMemories(served(bank, embedder, **context))


def test_add_update_get_list_delete(bank: CaseBank, embedder: HashingEmbedder) -> None:
    memories = memories_for(bank, embedder)
    added = memories.add({"food": "thai"})
    assert added.namespace == "default" and len(added.key) == 36  # a new UUID
    named = memories.add({"city": "Lima"}, key="home")
    with pytest.raises(MemoryToolError, match="already holds a memory.*update_memory"):
        memories.add({"city": "Cusco"}, key="home")
    with pytest.raises(MemoryToolError, match="no memory under key 'work'"):
        memories.update("work", {"city": "Cusco"})
    same = memories.update("home", {"city": "Lima"})
    assert same.version == same.previous_version == named.version and not same.credit_restarted
    moved = memories.update("home", {"city": "Cusco"})
    assert moved.credit_restarted and moved.previous_version == named.version
    assert moved.version != named.version
    got = memories.get("home")
    assert got.value == {"city": "Cusco"} and got.version == moved.version and got.visits == 0
    assert got.created_at <= got.updated_at
    page = memories.list(limit=1, offset=0)
    assert page.total == 2 and [m.key for m in page.memories] == ["home"]  # newest first
    assert memories.list(offset=1).memories[0].key == added.key
    deleted = memories.delete("home")
    assert deleted.version == moved.version and deleted.visits == 0
    for call in (memories.get, memories.delete):
        with pytest.raises(MemoryToolError, match="no memory under key 'home'"):
            call("home")
    assert bank.count() == 0  # memories never become cases


def test_a_value_is_plain_data_never_a_case(
    bank: CaseBank, embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    memories = memories_for(bank, embedder)
    case = {"question": "What is 2 + 2?", "answer": "4", "reward": 1.0}
    with pytest.raises(MemoryToolError, match="is a case.*report_outcome"):
        memories.add({**case, "provenance": "ground_truth"})
    held = memories.add({"note": "x"}, key="n")
    with pytest.raises(MemoryToolError, match="is a case"):
        memories.update("n", case)
    found = memories.cases.retrieve("What is 2 + 2?")
    case_id = memories.cases.report(found.retrieval_id, "4", reward=1.0).case_id
    with pytest.raises(MemoryToolError, match="holds a case"):
        memories.add({"note": "y"}, key=case_id)
    with pytest.raises(MemoryToolError, match="key is 1 to"):
        memories.add({"note": "y"}, key="")
    key = "sk-memory-0123456789abcdefLEAK"
    monkeypatch.setenv("SERVICE_API_KEY", key)
    memories.update("n", {"note": f"the key is {key}"})
    assert memories.get("n").value == {"note": "the key is [redacted SERVICE_API_KEY]"}
    assert bank.count() == 1 and held.key == "n"


def test_a_search_is_ranked_kept_and_credited_once(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memories = memories_for(bank, embedder)
    for key, text in {"a": "alice likes thai food", "b": "bob likes pizza", "c": "tea"}.items():
        memories.add({"text": text, "owner": key}, key=key)
    found = memories.search("what food does alice like?", limit=2)
    assert found.memories[0].key == "a" and len(found.memories) == 2
    assert found.memories[0].score >= found.memories[1].score
    held, _ = bank.retrievals.get(found.retrieval_id)
    assert held.kind == "memories" and held.shown == [m.version for m in found.memories]
    filtered = memories.search("food", filter={"owner": {"$ne": "a"}})
    assert {m.key for m in filtered.memories} == {"b", "c"}
    assert memories.search("food", mode="eval").retrieval_id is None  # eval keeps nothing
    with pytest.raises(MemoryToolError, match="unknown operator"):
        memories.search("food", filter={"owner": {"$like": "a"}})
    outcome = memories.cases.report(found.retrieval_id, "thai", reward=1.0)
    assert outcome.kind == "memories" and outcome.case_id is None and outcome.visits == 2
    again = memories.cases.report(found.retrieval_id, "thai", reward=0.0)
    assert again.already_reported and again.visits == 0 and again.reward == 1.0
    assert memories.get("a").visits == 1 and bank.count() == 0  # no case for a memory search
    later = memories.search("what food does alice like?", limit=1)
    assert later.memories[0].score > found.memories[0].score  # it helped: it rose
    changed = memories.update("a", {"text": "alice likes ramen", "owner": "a"})
    assert changed.credit_restarted and changed.visits_dropped == 1
    assert memories.cases.report(later.retrieval_id, "x", reward=1.0).visits == 0  # gone
    assert memories_for(bank, embedder, namespace="empty").search("x").retrieval_id is None


def test_a_memory_search_is_credited_by_a_server_that_did_not_search(
    tmp_path: Path, embedder: HashingEmbedder
) -> None:
    location = str(tmp_path / "bank")
    with CaseBank(location, dim=64) as bank:
        memories = memories_for(bank, embedder)
        memories.add({"tip": "check each sum with the calculator"}, key="tip")
        found = memories.search("check the sum 17 + 23")
    with CaseBank(location, dim=None) as bank:
        outcome = served(bank, embedder).report(found.retrieval_id, "40", ground_truth="40")
        assert outcome.kind == "memories" and outcome.visits == 1 and outcome.reward == 1.0
        (visit,) = bank.list_visits(case_id=found.memories[0].version)
        assert visit.run_id == found.retrieval_id and visit.target == 1.0
    with CaseBank(location, dim=None) as bank:
        again = served(bank, embedder).report(found.retrieval_id, "41", reward=0.0)
        assert again.already_reported and again.visits == 0
        assert bank.count_visits() == 1 and bank.count() == 0


async def test_every_memory_tool_has_schemas_and_structured_results(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    server = build_server(served(bank, embedder))
    async with create_connected_server_and_client_session(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        added = await client.call_tool("add_memory", {"value": {"food": "thai"}, "key": "f"})
        found = await client.call_tool("search_memories", {"query": "food"})
        report = {"retrieval_id": found.structuredContent["retrieval_id"], "answer": "thai"}
        reported = await client.call_tool("report_outcome", {**report, "reward": 1.0})
        got = await client.call_tool("get_memory", {"key": "f"})
        bad = await client.call_tool("add_memory", {"value": ["not", "an", "object"]})
    assert set(tools) >= MEMORY_TOOLS
    for name in MEMORY_TOOLS:
        tool = tools[name]
        assert {"namespace", "user_id"} <= set(tool.inputSchema["properties"]), name
        assert tool.outputSchema and tool.outputSchema["properties"], name
        assert tool.description and tool.annotations is not None, name
    assert tools["add_memory"].inputSchema["properties"]["value"]["type"] == "object"
    assert tools["delete_memory"].annotations.destructiveHint
    assert tools["get_memory"].annotations.readOnlyHint
    assert added.structuredContent["key"] == "f" and not added.isError
    (memory,) = found.structuredContent["memories"]
    assert set(memory) == {"key", "value", "version", "score", "created_at", "updated_at"}
    assert reported.structuredContent["kind"] == "memories"
    assert reported.structuredContent["visits"] == 1 == got.structuredContent["visits"]
    assert bad.isError
