"""One MCP server's session that survives a crash of the server: restarted once per failed call.

anyio requires a session to be closed by the task that opened it, and a crash is noticed by
whichever task made the call. So each (re)started session lives in a holder task of its own,
which opens it, waits to be told to stop and closes it; callers only borrow it. Tools loaded
from a `ServerSession` call through it, so they keep working after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import IO, Any

import anyio
from langchain_mcp_adapters.client import MultiServerMCPClient
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import McpError
from mcp.types import CONNECTION_CLOSED, CallToolResult, ListToolsResult

from tools.errors import ToolServerCrashedError, ToolServerError

logger = logging.getLogger(__name__)

_DISCONNECTS = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)


def is_disconnect(exc: BaseException) -> bool:
    """Whether an error means the server's process or pipe is gone (not a tool's own error)."""
    if isinstance(exc, McpError):
        return exc.error.code == CONNECTION_CLOSED
    return isinstance(exc, _DISCONNECTS)


def describe(exc: BaseException) -> str:
    """The innermost message of an exception group (anyio wraps startup failures in them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


class ServerSession:
    """A restartable session with one configured server; offers `list_tools` and `call_tool`
    like `mcp.ClientSession`, so `load_mcp_tools(server_session)` binds tools to it.

    A call that finds the server gone restarts it and is tried once more; if the server is
    gone again, `ToolServerCrashedError` fails the task that made the call. A call that had
    side effects before the crash may therefore run twice.
    """

    def __init__(
        self, name: str, client: MultiServerMCPClient, startup_timeout_s: float = 60.0
    ) -> None:
        self.name = name
        self.startup_timeout_s = startup_timeout_s
        self.restarts = 0
        self._client = client
        self._session: ClientSession | None = None
        self._holder: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Start the server and open its session; ToolServerError says why it failed, or that
        it did not answer its handshake within `startup_timeout_s` (it is then stopped)."""
        ready: asyncio.Future[ClientSession] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._holder = asyncio.create_task(self._hold(ready, self._stop), name=f"mcp:{self.name}")
        try:
            self._session = await asyncio.wait_for(asyncio.shield(ready), self.startup_timeout_s)
        except TimeoutError:
            holder, self._holder = self._holder, None
            ready.cancel()  # the holder then just stops the server as it unwinds
            holder.cancel()
            await asyncio.gather(holder, return_exceptions=True)
            raise ToolServerError(
                f"MCP server {self.name!r} did not start within {self.startup_timeout_s:g} s "
                "(no answer to its handshake; context field tool_startup_timeout_s)"
            ) from None

    async def _hold(self, ready: asyncio.Future[ClientSession], stop: asyncio.Event) -> None:
        try:
            async with self._open_session() as session:
                ready.set_result(session)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                message = f"MCP server {self.name!r} failed to start: {describe(exc)}"
                ready.set_exception(ToolServerError(message))
            elif isinstance(exc, Exception):  # a crashed server's session fails as it closes
                logger.debug("MCP server %r closed with %s", self.name, describe(exc))
            if not isinstance(exc, Exception):
                raise

    def _open_session(self) -> AbstractAsyncContextManager[ClientSession]:
        """The adapter's session, except for a stdio server where stderr is not a real file."""
        connection = self._client.connections[self.name]
        if connection.get("transport") == "stdio" and not _has_descriptor(sys.stderr):
            errlog = sys.__stderr__ if _has_descriptor(sys.__stderr__) else None
            return _stdio_session(dict(connection), errlog)
        return self._client.session(self.name)

    async def close(self) -> None:
        """Stop the server; its holder task closes the session."""
        self._stop.set()
        if self._holder is not None:
            await self._holder
        self._holder, self._session = None, None

    async def list_tools(self, cursor: str | None = None, **kwargs: Any) -> ListToolsResult:
        return await self._live().list_tools(cursor=cursor, **kwargs)

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, **kwargs: Any
    ) -> CallToolResult:
        for attempt in ("first", "after a restart"):
            session = self._live()
            try:
                return await session.call_tool(name, arguments, **kwargs)
            except Exception as exc:
                if not is_disconnect(exc):
                    raise
                if attempt != "first":
                    raise ToolServerCrashedError(
                        f"MCP server {self.name!r} crashed during a call to {name!r}, was "
                        "restarted, and crashed again: this task fails"
                    ) from exc
                await self._restart(after=session, cause=exc)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _live(self) -> ClientSession:
        if self._session is None:
            raise ToolServerError(f"MCP server {self.name!r} is not running (session closed)")
        return self._session

    async def _restart(self, *, after: ClientSession, cause: BaseException) -> None:
        """Restart the server unless a concurrent call already did since `after` failed."""
        async with self._lock:
            if self._session is not after:
                return
            logger.warning("MCP server %r crashed (%s); restarting it", self.name, describe(cause))
            await self.close()
            self.restarts += 1
            try:
                await self.start()
            except ToolServerError as exc:
                raise ToolServerCrashedError(
                    f"MCP server {self.name!r} crashed and could not be restarted: {exc}"
                ) from exc


def _has_descriptor(stream: IO[str] | None) -> bool:
    """Whether a child process can be handed this stream as its stderr.

    MCP's stdio client hands its stderr to the server process, and a Jupyter kernel's
    sys.stderr has no file descriptor (modelcontextprotocol/python-sdk#1103).
    """
    try:
        return stream is not None and stream.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        return False


@asynccontextmanager
async def _stdio_session(
    connection: dict[str, Any], errlog: IO[str] | None
) -> AsyncIterator[ClientSession]:
    """A stdio server's session as langchain-mcp-adapters opens it, with a usable errlog (the
    null device, closed with the session, when there is none); the adapter's `${VAR}`
    expansion of env values is not done on this path."""
    params = StdioServerParameters(
        command=connection["command"],
        args=connection.get("args", []),
        env=connection.get("env"),
        cwd=connection.get("cwd"),
        encoding=connection.get("encoding", "utf-8"),
        encoding_error_handler=connection.get("encoding_error_handler", "strict"),
    )
    async with AsyncExitStack() as stack:
        if errlog is None:
            errlog = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 (closed by stack)
        read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        session = await stack.enter_async_context(
            ClientSession(read, write, **(connection.get("session_kwargs") or {}))
        )
        await session.initialize()
        yield session
