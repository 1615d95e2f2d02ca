"""The MCP servers that ship with Memento, as stdio connections to this Python."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from langchain_mcp_adapters.sessions import StdioConnection


def stdio_module(module: str, *args: str) -> StdioConnection:
    """A stdio connection that runs `python -m module` with this interpreter."""
    return {"transport": "stdio", "command": sys.executable, "args": ["-m", module, *args]}


def bundled_connections(options: Mapping[str, Any]) -> dict[str, StdioConnection]:
    """Connections for every bundled server that is on by default (or configured by options)."""
    return {"calculator": stdio_module("tools.servers.calculator")}
