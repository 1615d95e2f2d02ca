"""`memento mcp` serves each call from its own user's or namespace's memory (`memento.mcp_scope`):
with a namespace template a call without its user is refused, never served from a shared
namespace, and one user neither sees nor reports nor deletes another's."""

from __future__ import annotations

import numpy as np
import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from graphs.settings import ConfigError
from memento.mcp_memories import GeneralMemories
from memento.mcp_memory import CaseMemory, MemoryToolError
from memento.mcp_scope import check_serving_template, resolve_scope
from memento.mcp_server import build_server
from memory import CaseBank, KernelQ
from tests.conftest import make_context
from tests.fakes import HashingEmbedder

TEMPLATE = "memento:{user_id}"


def memory_for(bank: CaseBank, embedder: HashingEmbedder, **context: object) -> CaseMemory:
    ctx = make_context(**context)
    return CaseMemory(bank, embedder, lambda c: KernelQ(bank), ctx, np.random.default_rng(0))


def learn(memory: CaseMemory, task: str, answer: str, **who: str) -> str:
    found = memory.retrieve(task, **who)
    return memory.report(found.retrieval_id, answer, reward=1.0, **who).case_id or ""


def test_the_rule_with_and_without_a_template() -> None:
    shared = make_context(namespace="team")
    assert (
        resolve_scope(shared, None, None).namespace,
        resolve_scope(shared, None, None).named,
    ) == (
        "team",
        False,
    )
    assert resolve_scope(shared, "team-b", None).namespace == "team-b"
    for namespace, user, error in [
        ("../x", None, "is not allowed"),
        (None, "alice", "keeps no users apart"),
    ]:
        with pytest.raises(MemoryToolError, match=error):
            resolve_scope(shared, namespace, user)
    per_user = make_context(namespace="team", namespace_template=TEMPLATE, user_id="owner")
    assert resolve_scope(per_user, None, "alice").namespace == "memento:alice"
    assert resolve_scope(per_user, "memento:alice", "alice").named
    for namespace, user, error in [
        (None, None, "give user_id"),  # never the server's own user, never 'team'
        ("team", None, "give user_id"),
        ("memento:bob", "alice", "is not this user's"),
        (None, "a/b", "is not allowed"),
        (None, "", "give user_id"),
    ]:
        with pytest.raises(MemoryToolError, match=error):
            resolve_scope(per_user, namespace, user)


def test_a_template_no_call_could_fill_stops_the_server_before_it_serves() -> None:
    check_serving_template(make_context(namespace_template="team-a:{user_id}"))
    with pytest.raises(ConfigError, match="needs 'org'.*a call gives only user_id"):
        check_serving_template(make_context(namespace_template="{org}:{user_id}"))


def test_two_users_are_served_apart_by_one_server(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memory = memory_for(bank, embedder, namespace_template=TEMPLATE)
    alices = learn(memory, "What is Alice's locker code?", "4321", user_id="alice")
    learn(memory, "What is Bob's locker code?", "1234", user_id="bob")
    assert bank.count(namespace="memento:alice") == bank.count(namespace="memento:bob") == 1
    assert bank.count(namespace="default") == 0

    found = memory.retrieve("What is Alice's locker code?", k=4, user_id="bob")
    assert found.namespace == "memento:bob"
    assert [c.question for c in found.cases] == ["What is Bob's locker code?"]
    assert all(
        case.question != "What is Alice's locker code?"
        for case in memory.search_cases("Alice locker code", user_id="bob").cases
    )
    assert alices not in [c.case_id for c in memory.list_cases(user_id="bob").cases]
    for call in (memory.get_case, memory.delete_case):
        with pytest.raises(MemoryToolError, match="no case with id"):
            call(alices, user_id="bob")
    assert bank.get(alices) is not None

    with pytest.raises(MemoryToolError, match="give user_id"):
        memory.retrieve("What is Alice's locker code?")
    alice_read = memory.retrieve("What is Alice's locker code?", user_id="alice")
    with pytest.raises(MemoryToolError, match="another user or namespace"):
        memory.report(alice_read.retrieval_id, "0000", reward=0.0, user_id="bob")
    with pytest.raises(MemoryToolError, match="give user_id"):
        memory.report(alice_read.retrieval_id, "0000", reward=0.0)
    assert bank.count_visits(namespace="memento:bob") == 0
    outcome = memory.report(alice_read.retrieval_id, "4321", reward=1.0, user_id="alice")
    assert outcome.namespace == "memento:alice" and outcome.visits == 1


def test_without_a_template_a_report_goes_to_its_retrievals_namespace(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memory = memory_for(bank, embedder)
    found = memory.retrieve("What is 2 + 2?", namespace="team-b")
    with pytest.raises(MemoryToolError, match="another user or namespace"):
        memory.report(found.retrieval_id, "4", reward=1.0, namespace="team-c")
    outcome = memory.report(found.retrieval_id, "4", reward=1.0)  # named nothing: its own
    assert outcome.namespace == "team-b" and bank.count(namespace="team-b") == 1
    assert bank.count(namespace="default") == 0


async def test_a_tool_call_without_its_user_is_refused_over_a_session(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    server = build_server(memory_for(bank, embedder, namespace_template=TEMPLATE))
    async with create_connected_server_and_client_session(server) as client:
        refused = await client.call_tool("list_cases", {})
        served = await client.call_tool("list_cases", {"user_id": "alice"})
    assert refused.isError and "give user_id" in refused.content[0].text
    assert not served.isError and served.structuredContent["namespace"] == "memento:alice"


def test_two_users_memories_are_kept_apart(bank: CaseBank, embedder: HashingEmbedder) -> None:
    """One user's memories are never searched, listed, shown, updated, deleted or credited for
    another, even under the same key."""
    memories = GeneralMemories(memory_for(bank, embedder, namespace_template=TEMPLATE))
    alice = {"user_id": "alice"}
    memories.add({"code": "Alice's locker code is 4321"}, key="locker", **alice)
    memories.add({"code": "Bob's locker code is 1234"}, key="locker", user_id="bob")
    found = memories.search("Alice's locker code", **alice)
    assert found.namespace == "memento:alice" and len(found.memories) == 1
    seen = memories.search("Alice's locker code", user_id="bob")
    assert [m.value["code"] for m in seen.memories] == ["Bob's locker code is 1234"]
    assert memories.get("locker", user_id="bob").value["code"].startswith("Bob's")
    memories.add({"text": "dear diary"}, key="diary", **alice)
    assert [m.key for m in memories.list(user_id="bob").memories] == ["locker"]
    for call in (memories.delete, memories.get):
        with pytest.raises(MemoryToolError, match="no memory under key 'diary'"):
            call("diary", user_id="bob")
    with pytest.raises(MemoryToolError, match="no memory under key 'diary'"):
        memories.update("diary", {"text": "bob was here"}, user_id="bob")
    assert memories.get("diary", **alice).value == {"text": "dear diary"}
    with pytest.raises(MemoryToolError, match="is not this user's"):
        memories.delete("locker", namespace="memento:alice", user_id="bob")
    with pytest.raises(MemoryToolError, match="give user_id"):
        memories.search("Alice's locker code")
    with pytest.raises(MemoryToolError, match="another user or namespace"):
        memories.cases.report(found.retrieval_id, "0000", reward=0.0, user_id="bob")
    assert bank.count_visits() == 0
    assert memories.cases.report(found.retrieval_id, "4321", reward=1.0, **alice).visits == 1
    assert memories.get("locker", **alice).value["code"] == "Alice's locker code is 4321"
    assert memories.get("locker", **alice).visits == 1
    assert memories.get("locker", user_id="bob").visits == 0
