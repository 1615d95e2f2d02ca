"""The HTTP app `langgraph.json` mounts beside the LangGraph API, for its lifespan only.

It opens Memento's shared resources (bank, embedder, MCP sessions) when the server starts, so
the first run does not pay for them and a bad configuration fails at startup with its message,
and closes them when the server stops. Needs the server's Starlette (`langgraph-cli[inmem]`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from graphs.studio import GraphFactory, studio_graphs


def lifespan_app(factory: GraphFactory) -> Starlette:
    """A route-less app whose lifespan opens the factory's resources and closes them after."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await factory()
        try:
            yield
        finally:
            await factory.aclose()

    return Starlette(lifespan=lifespan)


app = lifespan_app(studio_graphs)
