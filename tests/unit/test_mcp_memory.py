"""The MCP memory server's service without a transport (what it refuses, eval mode), and its
tool errors as an in-memory client session sees them."""

from __future__ import annotations

import gc
import os
import secrets
import tracemalloc

import numpy as np
import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from memento.mcp_memory import CaseMemory, MemoryToolError, build_server
from memento.mcp_retrievals import RetrievalLog
from memory import CaseBank, KernelQ
from tests.conftest import make_context
from tests.fakes import HashingEmbedder


def memory_for(
    bank: CaseBank, embedder: HashingEmbedder, *, trusted: bool = False, **context: object
) -> CaseMemory:
    ctx = make_context(**context)
    estimator = KernelQ(bank, credit="contrastive")
    return CaseMemory(bank, embedder, estimator, ctx, np.random.default_rng(0), trusted=trusted)


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


def test_retrievals_of_a_long_task_keep_what_the_case_needs_not_the_task(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    """A retrieval keeps the task as the bank will store it (cut to the question cap), not the
    task itself: 60 retrievals of a 1 MB task kept 61 MB."""
    memory = memory_for(bank, embedder)
    memory.retrieve("warm up")
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        ids = [memory.retrieve(f"{n} {secrets.token_hex(500_000)}").retrieval_id for n in range(60)]
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2 << 20, f"{held >> 10} KB held by 60 retrievals"
    outcome = memory.report(ids[-1], "x", reward=1.0)
    (case,) = bank.list_cases()
    assert case.id == outcome.case_id and case.question.startswith("59 ")
    assert 19_000 < len(case.question) <= 20_000


def test_a_report_on_a_forgotten_retrieval_says_it_was_forgotten(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    memory = memory_for(bank, embedder)
    memory.retrievals = RetrievalLog(max_count=2)
    first, _, third = (memory.retrieve(f"What is {n} + {n}?") for n in range(3))
    with pytest.raises(MemoryToolError, match=r"was forgotten: this server keeps the last 2 "):
        memory.report(first.retrieval_id, "0", reward=1.0)
    assert memory.report(third.retrieval_id, "4", reward=1.0).case_id is not None
    assert len(memory.retrievals) == 2
    earlier_run = "0" * 32
    with pytest.raises(MemoryToolError, match="from an earlier run of this server"):
        memory.report(earlier_run, "1", reward=1.0)
    with pytest.raises(MemoryToolError, match="unknown retrieval_id 'nope'"):
        memory.report("nope", "1", reward=1.0)


def test_retrieval_ids_differ_in_the_prefix_cases_why_shows(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    """A retrieval id is its visits' run id, which `cases why` shows by its first 8
    characters: one server's retrievals must not all share them."""
    memory = memory_for(bank, embedder)
    ids = [memory.retrieve(f"What is {n} + {n}?").retrieval_id for n in range(20)]
    assert len({i[:8] for i in ids}) == 20
