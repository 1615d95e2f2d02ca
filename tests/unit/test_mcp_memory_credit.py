"""Memories found through `memento mcp` are credited by the outcomes reported for them.

The store's scripted world (`tests/unit/test_store_memory_credit.py`: three helpful tips and
three misleading ones worded closer to the tasks), through the MCP tools alone: an agent adds
the tips, then for each task reads the top tip of `search_memories`, succeeds if it helps and
reports the reward with `report_outcome`. The server ranks memories with the estimator its
settings give (`nodes.estimators.estimator_for`, the defaults). After a few reported failures
the misleading tips sink below the helpful tip the agent found.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mcp.client.session import ClientSession
from mcp.shared.memory import create_connected_server_and_client_session

from memento.mcp_memory import CaseMemory
from memento.mcp_server import build_server
from memory import CaseBank
from nodes.estimators import estimator_for
from tests.conftest import make_context
from tests.fakes import HashingEmbedder
from tests.unit.test_store_memory_credit import HELPFUL, MISLEADING


def _task(n: int) -> str:
    return f"solve arithmetic task {n}: what is {n} + {n * 3}?"


async def _ok(client: ClientSession, name: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.isError, result.content
    return result.structuredContent or {}


async def _scores(client: ClientSession) -> dict[str, float]:
    """Every tip's score for a task the agent never gets (an eval search keeps nothing)."""
    found = await _ok(client, "search_memories", query=_task(99), limit=6, mode="eval")
    assert found["retrieval_id"] is None
    return {m["key"]: m["score"] for m in found["memories"]}


async def test_misleading_memories_sink_after_reported_failures(bank: CaseBank) -> None:
    ctx = make_context()
    memory = CaseMemory(
        bank,
        HashingEmbedder(dim=64),
        lambda c: estimator_for(bank, c),
        ctx,
        np.random.default_rng(0),
    )
    async with create_connected_server_and_client_session(build_server(memory)) as client:
        for key, tip in {**HELPFUL, **MISLEADING}.items():
            await _ok(client, "add_memory", key=key, value={"content": tip})
        before = await _scores(client)
        rewards = []
        for n in range(25):
            found = await _ok(client, "search_memories", query=_task(n), limit=1)
            (read,) = found["memories"]
            reward = 1.0 if read["key"] in HELPFUL else 0.0
            rewards.append(reward)
            report = {"retrieval_id": found["retrieval_id"], "answer": str(4 * n)}
            outcome = await _ok(client, "report_outcome", **report, reward=reward)
            assert outcome["kind"] == "memories" and outcome["visits"] == 1
            assert outcome["case_id"] is None
        after = await _scores(client)
        visits = {key: (await _ok(client, "get_memory", key=key))["visits"] for key in before}
    print(f"\nestimator: {type(memory.estimator('default')).__name__}, credit {ctx.credit}")
    print("before:", {k: round(v, 3) for k, v in sorted(before.items(), key=lambda kv: -kv[1])})
    print("rewards:", rewards)
    print("after:", {k: round(v, 3) for k, v in sorted(after.items(), key=lambda kv: -kv[1])})
    print("visits:", visits)
    assert max(before, key=before.__getitem__) in MISLEADING  # similarity alone misleads
    assert rewards[0] == 0.0 and rewards[-10:] == [1.0] * 10
    best = max(after, key=after.__getitem__)
    assert best in HELPFUL  # the tip that helped is found first
    assert all(after[key] < before[key] - 0.05 for key in MISLEADING if visits[key])
    assert after[best] > max(after[key] for key in MISLEADING)
    assert bank.count() == 0 and sum(visits.values()) == 25  # memories only: no case written
