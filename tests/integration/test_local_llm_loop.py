"""The whole loop on the embedded defaults: SmolLM2 on llama.cpp, MiniLM, real MCP, real Qdrant.

It checks the mechanics (cases and visits written, tools reachable), not the tiny model's answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs import build_graph
from graphs.resources import open_resources
from graphs.settings import load_settings
from memento.cli.endpoint import model_endpoint
from memento.local_llm import local_llm_available
from memory import CaseBank

pytestmark = [
    pytest.mark.integration,
    pytest.mark.local_llm,
    pytest.mark.skipif(
        not local_llm_available(),
        reason="the local LLM is not installed: make setup (see docs/offline.md)",
    ),
]


async def test_two_real_tasks_write_cases_and_the_second_records_visits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "MEMENTO_BASE_URL", "OPENAI_BASE_URL", "MEMENTO_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    store = str(tmp_path / "bank")
    settings = load_settings(store=store, max_cycles=1, llm_timeout_s=120, llm_max_retries=0)
    settings.enabled_servers = ["calculator"]
    states = []
    async with model_endpoint(settings) as local, open_resources(local) as deps:
        assert local.context.base_url.startswith("http://127.0.0.1:")
        graph = build_graph(deps)
        for task, truth in (("What is 17 * 23 + 4?", "395"), ("What is 18 * 23 + 4?", "418")):
            states.append(
                await graph.ainvoke({"task": task, "ground_truth": truth}, context=local.context)
            )
    first, second = states
    assert first["judgement"]["reward"] in (0.0, 1.0) and first["case_id"]
    assert [c["case_id"] for c in second["retrieved"]] == [first["case_id"]]
    with CaseBank(store, dim=None) as bank:
        assert bank.dim == 384  # the MiniLM embedder
        assert bank.count() == 2
        visits = bank.list_visits(case_id=first["case_id"])
        assert len(visits) == 1 and visits[0].target == second["judgement"]["reward"]
