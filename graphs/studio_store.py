"""The case bank as the LangGraph server's long-term memory store (`langgraph.json` "store").

`langgraph dev` and LangGraph Server serve a store API (`/store/items`, `/store/namespaces`)
that Studio's memory view and `langgraph_sdk`'s `client.store` read and write, and give the
same store to runs as `runtime.store`. With

    "store": {"path": "graphs.studio_store.make_store"}

that store is Memento's case bank (`memory.adapters.langgraph_store.MementoStore`), over the
resources the graph already holds: one bank per process (an embedded folder opens once) and the
embedder the bank was written with.

The store is untrusted (`MementoStore`'s "Trust": every case put is "imported") unless
`MEMENTO_STORE_TRUSTED=1` is in the server's environment, read once when the server starts. An
environment variable, because only the person who starts the server sets it (in the shell, or
langgraph.json's "env"): a request cannot, while a `MementoContext` field (or the config file's
"context") is what every run's request may send, from Studio's configuration panel or the API.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from graphs.studio import GraphFactory, studio_graphs
from memory.adapters.langgraph_store import MementoStore

TRUSTED_ENV = "MEMENTO_STORE_TRUSTED"


def store_trusted() -> bool:
    """Whether a person set the server's store to keep the provenance a put names."""
    setting = os.environ.get(TRUSTED_ENV, "0").strip() or "0"
    if setting not in ("0", "1"):
        raise ValueError(f"{TRUSTED_ENV} must be 0 or 1, got {setting!r}")
    return setting == "1"


def store_over(factory: GraphFactory) -> Callable[[], Awaitable[MementoStore]]:
    """A store factory (what the server awaits once, at startup) over the factory's
    shared resources."""

    async def make_store() -> MementoStore:
        trusted = store_trusted()  # before anything is opened: a bad setting opens nothing
        deps = await factory.resources.get()
        return MementoStore(deps.bank, deps.embedder, trusted=trusted)

    return make_store


make_store = store_over(studio_graphs)
"""The store `langgraph.json` names."""
