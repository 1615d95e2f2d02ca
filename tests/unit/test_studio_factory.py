"""The Studio graph factory: langgraph.json's targets, and resources opened once per process."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from langgraph.graph.state import CompiledStateGraph

from graphs.studio import GraphFactory, SharedResources
from memory import CaseBank
from nodes import MementoDeps
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parents[2]


def _target(spec: str) -> object:
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


def test_langgraph_json_is_valid_and_names_the_factory_and_the_lifespan_app() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert inspect.iscoroutinefunction(_target(config["graphs"]["memento"]))
    starlette = pytest.importorskip("starlette.applications")
    assert isinstance(_target(config["http"]["app"]), starlette.Starlette)
    cli_config = pytest.importorskip("langgraph_cli.config")
    cli_config.validate_config_file(ROOT / "langgraph.json")


class CountingOpener:
    """Opens a bank in memory, counting openings and closings; can be told to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.opened = self.closed = 0
        self.fail = fail

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[MementoDeps]:
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("cannot open the bank")
        self.opened += 1
        bank = CaseBank(":memory:", dim=64)
        try:
            yield MementoDeps(bank=bank, embedder=HashingEmbedder(dim=64))
        finally:
            bank.close()
            self.closed += 1


async def test_concurrent_callers_share_one_opening_and_one_graph() -> None:
    opener = CountingOpener()
    factory = GraphFactory(SharedResources(opener))
    graphs = await asyncio.gather(*(factory() for _ in range(5)))
    assert opener.opened == 1
    assert all(g is graphs[0] for g in graphs) and isinstance(graphs[0], CompiledStateGraph)
    await factory.aclose()
    assert opener.closed == 1
    await factory()  # reopens after an explicit close
    assert opener.opened == 2
    await factory.aclose()


async def test_a_failed_opening_reaches_the_caller_and_is_tried_again() -> None:
    opener = CountingOpener(fail=True)
    resources = SharedResources(opener)
    with pytest.raises(RuntimeError, match="cannot open the bank"):
        await resources.get()
    opener.fail = False
    deps = await resources.get()
    assert deps.bank.count() == 0 and opener.opened == 1
    await resources.aclose()
    assert opener.closed == 1


async def test_a_cancelled_caller_does_not_cancel_the_opening() -> None:
    opener = CountingOpener()
    resources = SharedResources(opener)
    first = asyncio.ensure_future(resources.get())
    await asyncio.sleep(0)
    first.cancel()
    assert (await resources.get()).bank is not None
    assert opener.opened == 1
    await resources.aclose()
