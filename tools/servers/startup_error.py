"""An MCP server that cannot do its job still answers, to say why: its error reaches the client.

A bundled server that exits on a bad configuration (a malformed corpus, say) is seen by the
client only as "Connection closed", and its stderr is not shown by Studio, the API or a
notebook. `serve_startup_error` instead completes the MCP handshake and answers the client's
tool listing with the error, so that `memento tools list` and a run report
"MCP server 'corpus_search' failed to start: ... <the error>"; the error also goes to stderr.
"""

from __future__ import annotations

import sys

import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import McpError
from mcp.types import INVALID_PARAMS, ErrorData, Tool


def serve_startup_error(name: str, message: str) -> None:
    """Serve MCP on stdio, failing every tool listing with `message`, until the client leaves."""
    print(f"{name}: {message}", file=sys.stderr, flush=True)
    server: Server = Server(name)

    @server.list_tools()
    async def list_tools() -> list[Tool]:
        raise McpError(ErrorData(code=INVALID_PARAMS, message=message))

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run)
