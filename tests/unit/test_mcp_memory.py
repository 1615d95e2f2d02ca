"""The MCP memory server's service without a transport (what it refuses, eval mode, reports to
a server that did not retrieve, care), and its tools as an in-memory client session sees them
(schemas, structured results, errors)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from memento.mcp_memory import CaseMemory, MemoryToolError
from memento.mcp_server import build_server
from memory import CaseBank, KernelQ
from memory.bank.limits import MAX_QUESTION_CHARS
from tests.conftest import make_context
from tests.fakes import HashingEmbedder
from tests.unit.test_mcp_memories import MEMORY_TOOLS


def memory_for(
    bank: CaseBank, embedder: HashingEmbedder, *, trusted: bool = False, **context: object
) -> CaseMemory:
    ctx = make_context(**context)
    estimators = lambda ctx: KernelQ(bank, credit="contrastive")  # noqa: E731
    return CaseMemory(bank, embedder, estimators, ctx, np.random.default_rng(0), trusted=trusted)


def test_a_caller_cannot_make_a_case_verified(bank: CaseBank, embedder: HashingEmbedder) -> None:
    """A client gives both the answer and the truth it is scored against: the reward is
    measured, but the case is shown as a success only where a person started the server
    trusted (`memento mcp --trusted`)."""
    for trusted, expected in ((False, "self_judged"), (True, "ground_truth")):
        memory = memory_for(bank, embedder, trusted=trusted, namespace=f"trusted-{trusted}")
        found = memory.retrieve("What is the capital of Peru?")
        outcome = memory.report(found.retrieval_id, "Atlantis", ground_truth="Atlantis")
        assert outcome.reward == 1.0 and outcome.method != "self"
        assert outcome.provenance == expected == bank.get(outcome.case_id).provenance


def test_an_eval_retrieval_is_judged_but_writes_nothing(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memory = memory_for(bank, embedder)
    first = memory.retrieve("What is 2 + 2?")
    memory.report(first.retrieval_id, "4", ground_truth="4")
    looked = memory.retrieve("What is 2 + 2?", mode="eval")
    assert len(looked.cases) == 1
    outcome = memory.report(looked.retrieval_id, "5", ground_truth="4")
    assert outcome.reward == 0.0 and outcome.case_id is None and outcome.visits == 0
    assert bank.count(namespace="default") == 1
    assert bank.list_visits(case_id=looked.cases[0].case_id) == []


def test_bad_calls_are_refused_in_one_line(bank: CaseBank, embedder: HashingEmbedder) -> None:
    memory = memory_for(bank, embedder, scorer="llm")
    retrieval = memory.retrieve("What is 2 + 2?")
    with pytest.raises(MemoryToolError, match="needs a judge model"):
        memory.report(retrieval.retrieval_id, "4", ground_truth="4")
    with pytest.raises(MemoryToolError, match="exactly one of"):
        memory.report(retrieval.retrieval_id, "4", reward=1.0, ground_truth="4")
    with pytest.raises(MemoryToolError, match=r"reward must be in \[0, 1\]"):
        memory.report(retrieval.retrieval_id, "4", reward=-0.5)
    with pytest.raises(MemoryToolError, match="k must be in"):
        memory.retrieve("What is 2 + 2?", k=0)
    with pytest.raises(MemoryToolError, match="task is empty"):
        memory.retrieve("  ")
    assert bank.count(namespace="default") == 0


class _EchoingEndpointEmbedder(HashingEmbedder):
    """Fails every query as an embeddings endpoint that quotes the request's key does."""

    def embed_query(self, text: str) -> list[float]:
        key = os.environ["OPENAI_API_KEY"]
        raise RuntimeError(f"Error code: 400 - {{'error': 'bad token: Bearer {key}'}}")


async def test_no_tool_error_carries_a_key_to_the_client(
    bank: CaseBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endpoint error and an argument error that repeat the key reach the client redacted,
    over a real client session (in memory)."""
    key = "sk-mcp-0123456789abcdefLEAK"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    server = build_server(memory_for(bank, _EchoingEndpointEmbedder(dim=64)))
    async with create_connected_server_and_client_session(server) as client:
        failed = await client.call_tool("retrieve_cases", {"task": "What is 2 + 2?"})
        refused = await client.call_tool("retrieve_cases", {"task": "x", "k": key})
    for result in (failed, refused):
        text = " ".join(block.text for block in result.content)
        assert result.isError and key not in text and "[redacted OPENAI_API_KEY]" in text, text
    assert "Error code: 400" in failed.content[0].text


def test_a_report_reaches_a_server_that_did_not_retrieve(
    tmp_path: Path, embedder: HashingEmbedder
) -> None:
    """The retrieval is a record of the bank: a server started afresh over the same folder (a
    stdio client's `get_tools()` starts one per call) takes the report, once."""
    location = str(tmp_path / "bank")
    with CaseBank(location, dim=64) as bank:
        first = memory_for(bank, embedder)
        seed = first.retrieve("What is 17 * 23 + 4?")
        first.report(seed.retrieval_id, "395", reward=1.0)
        found = first.retrieve("What is 17 * 23 + 5?")
        assert [c.question for c in found.cases] == ["What is 17 * 23 + 4?"]
    with CaseBank(location, dim=None) as bank:
        outcome = memory_for(bank, embedder).report(found.retrieval_id, "396", reward=1.0)
        assert outcome.visits == 1 and outcome.namespace == "default"
        (visit,) = bank.list_visits(case_id=found.cases[0].case_id)
        assert visit.run_id == found.retrieval_id and visit.target == 1.0
    with CaseBank(location, dim=None) as bank:
        again = memory_for(bank, embedder).report(found.retrieval_id, "397", reward=0.0)
        assert again.already_reported and again.visits == 0
        assert again.case_id == outcome.case_id and again.reward == 1.0
        assert bank.count(namespace="default") == 2


def test_a_report_on_an_unknown_retrieval_is_refused(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memory = memory_for(bank, embedder)
    for unknown in ("nope", "0" * 32, "6f1c2a4e-0000-4000-8000-000000000000"):
        with pytest.raises(MemoryToolError, match=f"unknown retrieval_id {unknown!r}"):
            memory.report(unknown, "1", reward=1.0)


def test_a_long_task_is_kept_as_its_case_will_hold_it(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memory = memory_for(bank, embedder)
    found = memory.retrieve("59 " + "x" * 1_000_000)
    held, _ = bank.retrievals.get(found.retrieval_id)
    assert len(held.question) <= MAX_QUESTION_CHARS
    outcome = memory.report(found.retrieval_id, "x", reward=1.0)
    (case,) = bank.list_cases()
    assert case.id == outcome.case_id and case.question == held.question
    assert case.question.startswith("59 ") and case.run_id == found.retrieval_id


def test_browsing_records_nothing_and_delete_takes_the_visits(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memory = memory_for(bank, embedder)
    for n in range(3):
        found = memory.retrieve(f"What is {n} + {n}?")
        memory.report(found.retrieval_id, str(2 * n), reward=1.0)
    hits = memory.search_cases("What is 2 + 2?", limit=2)
    assert len(hits.cases) == 2 and hits.cases[0].question == "What is 2 + 2?"
    assert hits.cases[0].similarity >= hits.cases[1].similarity
    page = memory.list_cases(limit=2, offset=1)
    assert page.total == 3 and len(page.cases) == 2
    read = memory.retrieve("What is 1 + 1?", k=1).cases[0].case_id
    visits_before = bank.count_visits()
    detail = memory.get_case(read)
    assert detail.case_id == read and detail.visits == len(bank.list_visits(case_id=read))
    assert bank.count_visits() == visits_before  # looking a case up credits nothing
    deleted = memory.delete_case(read)
    assert deleted.visits == detail.visits >= 1 and bank.get(read) is None
    assert bank.list_visits(case_id=read) == []
    for bad in (read, "nope"):
        with pytest.raises(MemoryToolError, match="no case with id"):
            memory.get_case(bad)
    with pytest.raises(MemoryToolError, match="query is empty"):
        memory.search_cases(" ")


async def test_every_tool_has_input_and_output_schemas_and_structured_results(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    server = build_server(memory_for(bank, embedder))
    async with create_connected_server_and_client_session(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        found = await client.call_tool("retrieve_cases", {"task": "What is 2 + 2?"})
        report = {"retrieval_id": found.structuredContent["retrieval_id"], "answer": "4"}
        reported = await client.call_tool("report_outcome", {**report, "reward": 1.0})
        listed = await client.call_tool("list_cases", {})
    assert set(tools) == {
        "retrieve_cases",
        "report_outcome",
        "search_cases",
        "list_cases",
        "get_case",
        "delete_case",
        *MEMORY_TOOLS,  # tests/unit/test_mcp_memories.py
    }
    for tool in tools.values():
        assert {"namespace", "user_id"} <= set(tool.inputSchema["properties"]), tool.name
        assert tool.outputSchema and tool.outputSchema["properties"], tool.name
        assert tool.description and tool.annotations is not None
    assert tools["delete_case"].annotations.destructiveHint
    assert tools["retrieve_cases"].inputSchema["properties"]["mode"]["anyOf"][0]["enum"] == [
        "train",
        "eval",
    ]
    assert not reported.isError and reported.structuredContent["visits"] == 0  # nothing read
    assert reported.structuredContent["case_id"] == listed.structuredContent["cases"][0]["case_id"]
    assert listed.structuredContent["total"] == 1
