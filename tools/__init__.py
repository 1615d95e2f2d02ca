"""MCP tools: connection config, persistent sessions, and the bundled servers.

Knows nothing about graphs or nodes. Names are imported on first use, so that a bundled server
(`python -m tools.servers.NAME`, which imports this package first) does not pay for
langchain's imports: that was over a second of every server's start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tools.errors import (
    ToolConfigError,
    ToolServerCrashedError,
    ToolServerError,
    ToolSessionLoopError,
)

if TYPE_CHECKING:
    from tools.config import (
        build_connections,
        servers_from_config,
        validate_connection,
    )
    from tools.sessions import ToolSessions

_LAZY = {
    "ToolSessions": "tools.sessions",
    "build_connections": "tools.config",
    "servers_from_config": "tools.config",
    "validate_connection": "tools.config",
}

__all__ = [
    "ToolConfigError",
    "ToolServerCrashedError",
    "ToolServerError",
    "ToolSessionLoopError",
    "ToolSessions",
    "build_connections",
    "servers_from_config",
    "validate_connection",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tools' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
