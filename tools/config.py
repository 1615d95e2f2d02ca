"""MCP connections in langchain-mcp-adapters' own format, read from a JSON config file.

A config file looks like ``{"mcp_servers": {"name": {"transport": "stdio", "command": ...}}}``
(``mcpServers`` is accepted too). User servers are merged over the bundled ones; a user entry
set to ``null`` switches a bundled server off. An optional ``tools`` section holds ``enabled``
(the servers to start; all when absent) and the bundled servers' options (see `tools.bundled`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tools.bundled import bundled_connections
from tools.errors import ToolConfigError

if TYPE_CHECKING:
    from langchain_mcp_adapters.sessions import Connection

_REQUIRED_FIELDS = {
    "stdio": ("command",),
    "sse": ("url",),
    "streamable_http": ("url",),
    "http": ("url",),
    "websocket": ("url",),
}


def validate_connection(name: str, spec: Any) -> Connection:
    """Check one connection and return it typed; the error names the server and field."""
    if not isinstance(spec, Mapping):
        raise ToolConfigError(f"MCP server {name!r}: expected an object, got {type(spec).__name__}")
    transport = spec.get("transport", "stdio" if "command" in spec else None)
    if transport not in _REQUIRED_FIELDS:
        raise ToolConfigError(
            f"MCP server {name!r}: unknown transport {transport!r} "
            f"(expected one of {', '.join(sorted(_REQUIRED_FIELDS))})"
        )
    for field in _REQUIRED_FIELDS[transport]:
        if not spec.get(field):
            raise ToolConfigError(f"MCP server {name!r}: missing field {field!r} for {transport}")
    if transport == "stdio" and not isinstance(spec.get("args", []), list):
        raise ToolConfigError(f"MCP server {name!r}: field 'args' must be a list of strings")
    return {**spec, "transport": transport}  # type: ignore[return-value]


def servers_from_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The raw server entries of a parsed config file (either spelling of the key)."""
    servers = config.get("mcp_servers", config.get("mcpServers", {}))
    if not isinstance(servers, Mapping):
        raise ToolConfigError("'mcp_servers' must be an object of server name -> connection")
    return dict(servers)


def build_connections(
    user_servers: Mapping[str, Any] | None = None,
    *,
    enabled: Iterable[str] | None = None,
    bundled_options: Mapping[str, Any] | None = None,
) -> dict[str, Connection]:
    """Bundled servers merged with the user's, optionally narrowed to `enabled` names."""
    merged: dict[str, Any] = dict(bundled_connections(bundled_options or {}))
    for name, spec in (user_servers or {}).items():
        if spec is None:
            merged.pop(name, None)
        else:
            merged[name] = spec
    if enabled is not None:
        wanted = list(enabled)
        unknown = [name for name in wanted if name not in merged]
        if unknown:
            raise ToolConfigError(
                f"unknown MCP server {', '.join(map(repr, unknown))}; "
                f"configured: {', '.join(sorted(merged)) or 'none'}"
            )
        merged = {name: merged[name] for name in wanted}
    return {name: validate_connection(name, spec) for name, spec in merged.items()}
