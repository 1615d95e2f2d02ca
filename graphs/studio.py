"""The graph as LangGraph Studio and `langgraph dev` load it: `langgraph.json` points here.

    LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=1 langgraph dev --no-browser

The server calls a graph factory on every request that needs the graph (each run, each state
or schema read), so the factory must not open resources per call: a local Qdrant folder opens
once per process, and every MCP server start costs ~0.5 s. `make_graph` therefore opens the
resources of the settings (`$MEMENTO_CONFIG`, `MEMENTO_*` variables; see `graphs.settings`)
once, on first use, and holds them until the server stops. They live in a task of their own,
so the MCP sessions are entered and left in one task, as anyio requires.

Per-run settings come from the run's context (Studio's configuration panel shows
`MementoContext` with each field's description); `store`, `embedding_model` and the tools are
fixed by the settings when the resources are opened.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings
from langgraph.graph.state import CompiledStateGraph

from graphs.graph import build_graph
from graphs.resources import open_resources
from graphs.settings import load_settings
from nodes import ChatModelFactory, MementoDeps, chat_model_from_context
from nodes.context import MementoContext

if TYPE_CHECKING:  # the server resolves this annotation by name (langgraph-api)
    from langgraph_sdk.runtime import ServerRuntime

ResourceOpener = Callable[[], AbstractAsyncContextManager[MementoDeps]]


class SharedResources:
    """Resources opened once per process and held open until the event loop ends.

    `await get()` opens them on first use (later callers wait for the same opening); a failed
    opening is raised to every waiting caller and tried again on the next call. `aclose()`
    closes them early (tests, notebooks); otherwise the loop's shutdown, which cancels the
    holding task, closes them.
    """

    def __init__(self, opener: ResourceOpener) -> None:
        self._opener = opener
        self._ready: asyncio.Future[MementoDeps] | None = None
        self._holder: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def get(self) -> MementoDeps:
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            if not self._loop.is_closed():
                raise RuntimeError(
                    "Memento's resources are held by another event loop; run the server with "
                    "one shared loop (BG_JOB_ISOLATED_LOOPS unset)"
                )
            self._ready = self._holder = None  # that loop has ended: open afresh
        if self._ready is None:
            self._loop = loop
            self._ready = loop.create_future()
            # A fresh context: the holder must not inherit the first run's tracing or config.
            self._holder = loop.create_task(
                self._hold(self._ready), name="memento-resources", context=contextvars.Context()
            )
        ready = self._ready
        try:
            return await asyncio.shield(ready)
        except Exception:
            if self._ready is ready:
                self._ready = self._holder = None
            raise

    async def aclose(self) -> None:
        """Close the resources now (they reopen on the next `get`)."""
        holder, self._holder, self._ready = self._holder, None, None
        if holder is not None and not holder.done():
            holder.cancel()
            await asyncio.gather(holder, return_exceptions=True)

    async def _hold(self, ready: asyncio.Future[MementoDeps]) -> None:
        try:
            async with self._opener() as deps:
                ready.set_result(deps)
                await asyncio.get_running_loop().create_future()  # until cancelled
        except BaseException as exc:
            if ready.done():
                raise
            if isinstance(exc, asyncio.CancelledError):
                ready.cancel()
            else:
                ready.set_exception(exc)


class GraphFactory:
    """An async graph factory (what `langgraph.json` names) over shared resources.

    Calling it returns the compiled graph, built once per opening of the resources.
    """

    def __init__(self, resources: SharedResources) -> None:
        self.resources = resources
        self._built: tuple[MementoDeps, CompiledStateGraph] | None = None

    async def __call__(self, runtime: Any = None) -> CompiledStateGraph:
        """The graph. Given a run's server runtime, its context is checked first, unknown
        fields included (the server itself drops fields the schema does not name, silently)."""
        context = getattr(runtime, "context", None)
        if isinstance(context, dict):
            MementoContext.from_mapping(context)
        deps = await self.resources.get()
        if self._built is None or self._built[0] is not deps:
            self._built = (deps, build_graph(deps, name="memento"))
        return self._built[1]

    async def aclose(self) -> None:
        """Close the shared resources (they reopen on the next call)."""
        self._built = None
        await self.resources.aclose()


def graph_factory(
    *,
    embedder: Embeddings | None = None,
    chat_model: ChatModelFactory = chat_model_from_context,
    **settings_overrides: Any,
) -> GraphFactory:
    """A graph factory over resources opened once from `load_settings(**settings_overrides)`.

    `embedder` and `chat_model` go to `open_resources`; left out, they are the configured
    (or embedded offline) embedder and `ChatOpenAI` against the configured endpoint.
    """

    @asynccontextmanager
    async def open_from_settings() -> AsyncIterator[MementoDeps]:
        # Reading the config file is file I/O: off the event loop, like everything here.
        settings = await asyncio.to_thread(load_settings, None, **settings_overrides)
        async with open_resources(settings, embedder=embedder, chat_model=chat_model) as deps:
            yield deps

    return GraphFactory(SharedResources(open_from_settings))


def served(factory: GraphFactory) -> Callable[[ServerRuntime], Awaitable[CompiledStateGraph]]:
    """The factory as the LangGraph server calls it: with the request's runtime (the server
    finds the parameter by its annotation), whose context for a run is the caller's as given,
    so that unknown fields are refused instead of dropped."""

    async def make_graph(runtime: ServerRuntime) -> CompiledStateGraph:
        return await factory(runtime)

    return make_graph


studio_graphs = graph_factory()
"""The graphs `langgraph dev` serves, over `$MEMENTO_CONFIG` / `MEMENTO_*` settings."""

make_graph = served(studio_graphs)
"""The factory `langgraph.json` names."""
