"""langgraph.json's "store": the case bank as the server's store, over the graph's resources."""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from graphs.studio import GraphFactory, SharedResources
from graphs.studio_store import store_over
from memory import CaseBank
from memory.adapters.langgraph_store import MementoStore
from nodes import MementoDeps
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parents[2]


def test_langgraph_json_names_the_store_factory() -> None:
    path = json.loads((ROOT / "langgraph.json").read_text())["store"]["path"]
    module, name = path.rsplit(".", 1)  # the server's module syntax for a store
    assert inspect.iscoroutinefunction(getattr(importlib.import_module(module), name))


async def test_the_store_is_the_graphs_own_bank_and_embedder() -> None:
    opened: list[MementoDeps] = []

    @asynccontextmanager
    async def opener() -> AsyncIterator[MementoDeps]:
        with CaseBank(":memory:", dim=64) as bank:
            opened.append(MementoDeps(bank=bank, embedder=HashingEmbedder(dim=64)))
            yield opened[-1]

    factory = GraphFactory(SharedResources(opener))
    try:
        store = await store_over(factory)()
        await factory()  # the graph, built over the same resources
        assert isinstance(store, MementoStore) and len(opened) == 1
        assert store.bank is opened[0].bank and store.embedder is opened[0].embedder
    finally:
        await factory.aclose()
