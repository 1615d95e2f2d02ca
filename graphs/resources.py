"""Opening what a run needs: the embedder, the case bank and the MCP tool sessions."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager

from langchain_core.embeddings import Embeddings

from graphs.embedder import default_embedder
from graphs.settings import MementoSettings
from memory import CaseBank, embedding_dim
from memory.embeddings.cache import CachedEmbedder
from memory.embeddings.embedders import warm_up
from nodes import ChatModelFactory, MementoDeps, chat_model_from_context
from tools import ToolSessions


@asynccontextmanager
async def open_resources(
    settings: MementoSettings,
    *,
    embedder: Embeddings | None = None,
    chat_model: ChatModelFactory = chat_model_from_context,
) -> AsyncIterator[MementoDeps]:
    """The bank, embedder and tool sessions of a run; all closed when the block ends."""
    ctx = settings.context
    # Loading an embedding model reads files: off the event loop (an ASGI server shares it).
    # The default embedder embeds a text once per run (an evaluation repeats its questions).
    embedder = embedder or CachedEmbedder(await asyncio.to_thread(default_embedder, ctx))
    dim = await asyncio.to_thread(embedding_dim, embedder)
    connections = settings.connections()
    bank = await asyncio.to_thread(CaseBank, ctx.store, dim=dim, max_cases=ctx.max_cases)
    # The embedder's model loads while the MCP servers start, not at the first retrieve.
    loading = asyncio.create_task(asyncio.to_thread(warm_up, embedder))
    try:
        async with ToolSessions(connections, ctx.tool_startup_timeout_s) as sessions:
            await loading
            yield MementoDeps(
                bank=bank, embedder=embedder, tools=sessions.tools, chat_model=chat_model
            )
    finally:
        if not loading.done():
            loading.cancel()
        bank.close()


@contextmanager
def open_resources_sync(
    settings: MementoSettings,
    *,
    embedder: Embeddings | None = None,
    chat_model: ChatModelFactory = chat_model_from_context,
) -> Iterator[MementoDeps]:
    """`open_resources` for sync code: the same resources, all closed when the block ends,
    however it ends.

    MCP sessions belong to the event loop that opened them, so they are opened on a loop of
    their own, in a background thread that lives as long as the block; the deps name that loop
    (`MementoDeps.loop`), and the sync `graph.invoke` / `graph.stream` of a graph built over
    them run every node there. `ainvoke` / `astream` run nodes on the caller's loop: async
    code uses `open_resources`.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="memento-resources", daemon=True)
    thread.start()
    entered: Future[MementoDeps] = Future()
    release = asyncio.Event()
    opened = open_resources(settings, embedder=embedder, chat_model=chat_model)
    holder = asyncio.run_coroutine_threadsafe(_hold(opened, entered, release), loop)
    try:
        yield dataclasses.replace(entered.result(), loop=loop)
    finally:
        loop.call_soon_threadsafe(release.set)
        try:
            holder.result()  # the resources' own cleanup, and its errors
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()


async def _hold(
    opened: AbstractAsyncContextManager[MementoDeps],
    entered: Future[MementoDeps],
    release: asyncio.Event,
) -> None:
    """Enter and exit `opened` in one task (anyio's rule for what MCP sessions hold), handing
    what it yields to the sync caller and waiting for it to be done."""
    try:
        async with opened as deps:
            entered.set_result(deps)
            await release.wait()
    except BaseException as exc:
        if entered.done():
            raise
        entered.set_exception(exc)  # the caller sees why nothing was opened
