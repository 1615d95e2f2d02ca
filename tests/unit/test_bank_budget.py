"""A size budget set in the context is kept by the bank a run writes to, task after task."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs import build_graph
from graphs.resources import open_resources
from graphs.settings import load_settings
from memory import CaseBank
from nodes import MementoDeps
from nodes.context import ContextError
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, final_plan_reply, run_task, scripted


async def test_a_budgeted_bank_keeps_its_budget_through_the_graphs_writes() -> None:
    with CaseBank(":memory:", dim=64, max_cases=3) as bank:
        counts = []
        for i in range(5):
            model = scripted(final_plan_reply(str(i)))
            deps = MementoDeps(bank=bank, embedder=HashingEmbedder(64), tools=[],
                               chat_model=lambda ctx, role, m=model: m)  # fmt: skip
            task = {"task": f"What is {i} + 0?", "ground_truth": str(i)}
            state = await run_task(build_graph(deps), task, context=make_context())
            assert state["case_id"]
            counts.append(bank.count(namespace="default"))
        assert counts == [1, 2, 3, 3, 3]  # 90% of 3 rounds down to 3: one case goes per write
        kept = {c.question for c in bank.list_cases(namespace="default")}
        assert "What is 4 + 0?" in kept  # the case just written is the most recently used


async def test_the_context_budget_reaches_the_bank_a_run_opens(tmp_path: Path) -> None:
    settings = load_settings(
        None, store=str(tmp_path / "bank"), base_url="http://127.0.0.1:9/v1", max_cases=7
    )
    settings.enabled_servers = []
    async with open_resources(settings, embedder=HashingEmbedder(dim=64)) as deps:
        assert deps.bank.max_cases == 7
    with pytest.raises(ContextError, match="'max_cases' must be at least 1"):
        make_context(max_cases=0)
