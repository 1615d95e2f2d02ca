"""Many tasks at once against one bank lose nothing; a second process gets a clear error."""

from __future__ import annotations

import asyncio
import os
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


def test_a_second_process_on_an_open_local_bank_is_served_or_told_to_use_a_server(
    tmp_path: Path,
) -> None:
    """On one machine the holder serves the bank to a second process; with sharing off
    (MEMENTO_SHARE_BANK=0) the second is refused and told about sharing and a server."""
    store = str(tmp_path / "bank")
    probe = (
        f"from memory import CaseBank; bank = CaseBank({store!r}, dim=8); "
        "print(bank.count(), type(bank._store).__name__)"
    )

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, env={**os.environ, **env})  # fmt: skip

    with CaseBank(store, dim=8):
        served, refused = run(), run(MEMENTO_SHARE_BANK="0")
    assert served.returncode == 0, served.stderr
    assert served.stdout.split() == ["0", "RemoteStore"]
    assert refused.returncode != 0
    assert "BankInUseError" in refused.stderr and "server" in refused.stderr
    assert "MEMENTO_SHARE_BANK" in refused.stderr
