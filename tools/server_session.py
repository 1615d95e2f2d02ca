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
import re
import shlex
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import IO, Any

import anyio
from langchain_mcp_adapters.client import MultiServerMCPClient
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import McpError
from mcp.types import CONNECTION_CLOSED, CallToolResult, ListToolsResult

from tools.errors import ToolServerCrashedError, ToolServerError, ToolSessionLoopError
from tools.stderr_tap import StderrTap

logger = logging.getLogger(__name__)

_DISCONNECTS = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)
_BRACED_VAR = re.compile(r"\$\{(\w+)\}")


def _expand(match: re.Match[str]) -> str:
    """`${VAR}` from the environment; an undefined one stays as written (the adapter's rule)."""
    return os.environ.get(match.group(1), match.group(0))


def is_disconnect(exc: BaseException) -> bool:
    """Whether an error means the server's process or pipe is gone (not a tool's own error)."""
    if isinstance(exc, McpError):
        return exc.error.code == CONNECTION_CLOSED
    return isinstance(exc, _DISCONNECTS)


def innermost(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio wraps startup failures in them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe(exc: BaseException) -> str:
    """The innermost message of an exception group."""
    exc = innermost(exc)
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Start the server and open its session; ToolServerError says why it failed, or that
        it did not answer its handshake within `startup_timeout_s` (it is then stopped)."""
        self._loop = asyncio.get_running_loop()
        ready: asyncio.Future[ClientSession] = self._loop.create_future()
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
        tap = StderrTap() if self._is_stdio() else None
        try:
            async with self._open_session(tap) as session:
                if tap is not None:
                    tap.pass_on()
                ready.set_result(session)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(ToolServerError(await self._start_failure(exc, tap)))
            elif isinstance(exc, Exception):  # a crashed server's session fails as it closes
                logger.debug("MCP server %r closed with %s", self.name, describe(exc))
            if not isinstance(exc, Exception):
                raise
        finally:
            if tap is not None:
                tap.close()

    def _is_stdio(self) -> bool:
        return self._client.connections[self.name].get("transport") == "stdio"

    async def _start_failure(self, exc: BaseException, tap: StderrTap | None) -> str:
        """Why the server did not start, in one line: where its process exited and the client
        saw only the connection close, the server's own last error line and its command."""
        failed = f"MCP server {self.name!r} failed to start"
        inner = innermost(exc)
        last = await asyncio.to_thread(tap.last_error_line) if tap is not None else ""
        if not last or not is_disconnect(inner):
            return f"{failed}: {describe(exc)}"
        connection = self._client.connections[self.name]
        command = shlex.join([str(connection["command"]), *connection.get("args", [])])
        return f"{failed}: {last} (its last error line; command: {command[:300]})"

    def _open_session(self, tap: StderrTap | None) -> AbstractAsyncContextManager[ClientSession]:
        """The adapter's session; a stdio server's stderr goes through the tap."""
        if tap is None:
            return self._client.session(self.name)
        return _stdio_session(dict(self._client.connections[self.name]), tap.file)

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
        """The open session, in the event loop that opened it (its streams belong to that
        loop: used from another, a call would fail or wait forever)."""
        if self._session is None:
            raise ToolServerError(f"MCP server {self.name!r} is not running (session closed)")
        if asyncio.get_running_loop() is not self._loop:
            raise ToolSessionLoopError(
                f"MCP server {self.name!r} was opened in another event loop than this call's "
                "(a sync invoke/stream runs nodes on a loop of their own): with MCP tools, "
                "call ainvoke/astream from the loop that opened the sessions (sync code: "
                "open them with open_resources_sync)"
            )
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


@asynccontextmanager
async def _stdio_session(
    connection: dict[str, Any], errlog: IO[str]
) -> AsyncIterator[ClientSession]:
    """A stdio server's session as langchain-mcp-adapters opens it (`${VAR}` in env values is
    expanded from the environment, like the adapter does), with its stderr sent to `errlog`."""
    env = connection.get("env")
    params = StdioServerParameters(
        command=connection["command"],
        args=connection.get("args", []),
        env={k: _BRACED_VAR.sub(_expand, v) for k, v in env.items()} if env else env,
        cwd=connection.get("cwd"),
        encoding=connection.get("encoding", "utf-8"),
        encoding_error_handler=connection.get("encoding_error_handler", "strict"),
    )
    async with AsyncExitStack() as stack:
        read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        session = await stack.enter_async_context(
            ClientSession(read, write, **(connection.get("session_kwargs") or {}))
        )
        await session.initialize()
        yield session
