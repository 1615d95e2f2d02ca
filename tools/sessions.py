"""One persistent MCP session per server for a whole run, restarted if its server crashes.

`MultiServerMCPClient.get_tools()` starts a server process for every tool call (~500 ms);
holding a session open and loading its tools once costs ~3 ms a call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import cast

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.sessions import Connection
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp import ClientSession

from tools.errors import ToolServerError
from tools.server_session import ServerSession, describe


@dataclass
class ToolSessions:
    """Async context manager: starts every server, exposes their tools, stops them all.

    Use as ``async with ToolSessions(connections) as sessions: sessions.tools``. A server that
    crashes mid-run is restarted by the call that finds it gone (see `ServerSession`).
    """

    connections: dict[str, Connection]
    startup_timeout_s: float = 60.0
    """Longest wait for one server to start, answer its handshake and list its tools."""
    tools: list[BaseTool] = field(default_factory=list, init=False)
    server_of: dict[str, str] = field(default_factory=dict, init=False)
    servers: dict[str, ServerSession] = field(default_factory=dict, init=False, repr=False)

    async def __aenter__(self) -> ToolSessions:
        client = MultiServerMCPClient(self.connections)
        try:
            listings = await self._start_all(client)
            for name in self.connections:  # in server order, whichever was ready first
                self._add(name, listings[name])
        except BaseException:
            await self.aclose()
            raise
        return self

    async def _start_all(self, client: MultiServerMCPClient) -> dict[str, list[BaseTool]]:
        """Start every server at once (a start is mostly its interpreter importing, ~1 s) and
        list its tools. If one fails the others are stopped, and the first failure in server
        order is raised."""
        tasks = {name: asyncio.create_task(self._open(client, name)) for name in self.connections}
        if not tasks:
            return {}
        try:
            await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in tasks.values():
                task.cancel()  # only those still starting: a failure stops the rest
            await asyncio.gather(*tasks.values(), return_exceptions=True)
        for task in tasks.values():
            if not task.cancelled() and (failure := task.exception()) is not None:
                raise failure
        return {name: task.result() for name, task in tasks.items()}

    async def _open(self, client: MultiServerMCPClient, name: str) -> list[BaseTool]:
        server = self.servers[name] = ServerSession(name, client, self.startup_timeout_s)
        await server.start()
        listing = load_mcp_tools(cast(ClientSession, server), server_name=name)
        try:
            return await asyncio.wait_for(listing, self.startup_timeout_s)
        except TimeoutError:
            raise ToolServerError(
                f"MCP server {name!r} did not list its tools within "
                f"{self.startup_timeout_s:g} s (context field tool_startup_timeout_s)"
            ) from None
        except Exception as exc:
            raise ToolServerError(f"MCP server {name!r} failed to start: {describe(exc)}") from exc

    def _add(self, name: str, tools: list[BaseTool]) -> None:
        """A started server's tools; a tool name two servers offer is refused."""
        for tool in tools:
            if tool.name in self.server_of:
                raise ToolServerError(
                    f"tool {tool.name!r} is offered by both {self.server_of[tool.name]!r} "
                    f"and {name!r}; rename one server's tool or disable a server"
                )
            self.server_of[tool.name] = name
        self.tools.extend(tools)

    async def aclose(self) -> None:
        """Stop every server started so far, the last configured first."""
        for server in reversed(list(self.servers.values())):
            await server.close()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
