"""Many tasks at once against one bank lose nothing; a second process gets a clear error."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from graphs import build_graph
from memory import CaseBank
from nodes import MementoDeps
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, RuleChatModel, final_plan_reply, run_task

ROOT = Path(__file__).resolve().parents[2]


def _echo_model() -> RuleChatModel:
    def rule(messages, kwargs):
        task = next(str(m.content) for m in messages if str(m.content).startswith("Task:"))
        return final_plan_reply(task.split()[-1].rstrip("?"))

    return RuleChatModel(messages=iter(()), calls=[], rule=rule)


@pytest.mark.integration
async def test_sixteen_concurrent_tasks_lose_no_case_and_no_visit(tmp_path: Path) -> None:
    with CaseBank(str(tmp_path / "bank"), dim=64) as bank:
        deps = MementoDeps(
            bank=bank, embedder=HashingEmbedder(), chat_model=lambda c, r: _echo_model()
        )
        graph = build_graph(deps)
        seed_task = {"task": "Echo the word seed?", "ground_truth": "seed"}
        await graph.ainvoke(seed_task, context=make_context())  # one case every task retrieves
        tasks = [{"task": f"Echo the word w{i}?", "ground_truth": f"w{i}"} for i in range(16)]
        results = await asyncio.gather(*(run_task(graph, t, context=make_context()) for t in tasks))
        assert all(r["judgement"].reward == 1.0 and r["case_id"] for r in results)
        assert bank.count() == 17
        assert bank.count_visits() == sum(r["visits_recorded"] for r in results) >= 16


def test_a_second_process_on_an_open_local_bank_is_told_to_use_a_server(tmp_path: Path) -> None:
    store = str(tmp_path / "bank")
    with CaseBank(store, dim=8):
        probe = subprocess.run(
            [sys.executable, "-c", f"from memory import CaseBank; CaseBank({store!r}, dim=8)"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert probe.returncode != 0
    assert "BankInUseError" in probe.stderr and "server" in probe.stderr
