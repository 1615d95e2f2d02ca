"""MCP tools: connection config, persistent sessions, and the bundled servers.

Knows nothing about graphs or nodes.
"""

from tools.config import (
    build_connections,
    load_config_file,
    servers_from_config,
    validate_connection,
)
from tools.errors import ToolConfigError, ToolServerError
from tools.sessions import ToolSessions

__all__ = [
    "ToolConfigError",
    "ToolServerError",
    "ToolSessions",
    "build_connections",
    "load_config_file",
    "servers_from_config",
    "validate_connection",
]
