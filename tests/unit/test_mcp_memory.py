"""The MCP memory server's service without a transport: what it refuses, and eval mode."""

from __future__ import annotations

import numpy as np
import pytest

from memento.mcp_memory import CaseMemory, MemoryToolError
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
