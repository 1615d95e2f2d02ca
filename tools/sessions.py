"""One persistent MCP session per server for a whole run.

`MultiServerMCPClient.get_tools()` starts a server process for every tool call (~500 ms);
holding `client.session(name)` open and loading its tools once costs ~3 ms a call.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from types import TracebackType

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.sessions import Connection
from langchain_mcp_adapters.tools import load_mcp_tools

from tools.errors import ToolServerError


@dataclass
class ToolSessions:
    """Async context manager: opens every server's session, exposes their tools, closes all.

    Use as ``async with ToolSessions(connections) as sessions: sessions.tools``.
    """

    connections: dict[str, Connection]
    tools: list[BaseTool] = field(default_factory=list, init=False)
    server_of: dict[str, str] = field(default_factory=dict, init=False)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, init=False, repr=False)

    async def __aenter__(self) -> ToolSessions:
        client = MultiServerMCPClient(self.connections)
        try:
            for name in self.connections:
                await self._open(client, name)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def _open(self, client: MultiServerMCPClient, name: str) -> None:
        try:
            session = await self._stack.enter_async_context(client.session(name))
            tools = await load_mcp_tools(session, server_name=name)
        except Exception as exc:
            raise ToolServerError(f"MCP server {name!r} failed to start: {_describe(exc)}") from exc
        for tool in tools:
            if tool.name in self.server_of:
                raise ToolServerError(
                    f"tool {tool.name!r} is offered by both {self.server_of[tool.name]!r} "
                    f"and {name!r}; rename one server's tool or disable a server"
                )
            self.server_of[tool.name] = name
        self.tools.extend(tools)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()


def _describe(exc: BaseException) -> str:
    """The innermost message of an exception group (anyio wraps startup failures in them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"
