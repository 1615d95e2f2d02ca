"""The Python API survives a second event loop: the README's example run twice in a process."""

from __future__ import annotations

import asyncio

from graphs import build_graph
from memory import CaseBank
from nodes import MementoDeps
from tests.conftest import make_context
from tests.endpoints import json_only_endpoint
from tests.fakes import HashingEmbedder

ANSWER = {"steps": [], "final_answer": "4"}


def test_a_second_asyncio_run_reuses_nothing_of_the_first_loop() -> None:
    # over HTTP/1.1 keep-alive, a pooled connection outlives the event loop that opened it
    with CaseBank(":memory:", dim=64) as bank, json_only_endpoint(ANSWER) as url:
        graph = build_graph(MementoDeps(bank=bank, embedder=HashingEmbedder()))
        context = make_context(base_url=url, llm_max_retries=0, mode="eval")
        for _ in range(3):
            result = asyncio.run(
                graph.ainvoke({"task": "What is 2 + 2?", "ground_truth": "4"}, context=context)
            )
            assert result["final_answer"] == "4" and result["judgement"]["reward"] == 1.0
