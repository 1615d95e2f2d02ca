"""The case bank as the LangGraph server's long-term memory store (`langgraph.json` "store").

`langgraph dev` and LangGraph Server serve a store API (`/store/items`, `/store/namespaces`)
that Studio's memory view and `langgraph_sdk`'s `client.store` read and write, and give the
same store to runs as `runtime.store`. With

    "store": {"path": "graphs.studio_store.make_store"}

that store is Memento's case bank (`memory.adapters.langgraph_store.MementoStore`), over the
resources the graph already holds: one bank per process (an embedded folder opens once) and the
embedder the bank was written with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from graphs.studio import GraphFactory, studio_graphs
from memory.adapters.langgraph_store import MementoStore


def store_over(factory: GraphFactory) -> Callable[[], Awaitable[MementoStore]]:
    """A store factory (what the server awaits once, at startup) over the factory's
    shared resources."""

    async def make_store() -> MementoStore:
        deps = await factory.resources.get()
        return MementoStore(deps.bank, deps.embedder)

    return make_store


make_store = store_over(studio_graphs)
"""The store `langgraph.json` names."""
