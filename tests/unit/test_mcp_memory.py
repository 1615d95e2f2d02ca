"""The MCP memory server's service without a transport (what it refuses, eval mode), and its
tool errors as an in-memory client session sees them."""

from __future__ import annotations

import os

import numpy as np
import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from memento.mcp_memory import CaseMemory, MemoryToolError, build_server
from memory import CaseBank, KernelQ
from tests.conftest import make_context
from tests.fakes import HashingEmbedder


def memory_for(bank: CaseBank, embedder: HashingEmbedder, **context: object) -> CaseMemory:
    ctx = make_context(**context)
    estimator = KernelQ(bank, credit="contrastive")
    return CaseMemory(bank, embedder, estimator, ctx, np.random.default_rng(0))


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
