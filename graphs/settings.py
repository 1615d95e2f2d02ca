"""Settings for a run, from a JSON config file, environment variables and explicit overrides.

A config file holds up to three sections, all optional:

    {
      "context": {"planner_model": "gpt-4.1", "base_url": null, "top_k": 4},
      "mcp_servers": {"search": {"transport": "streamable_http", "url": "http://localhost:8931/mcp"}},
      "tools": {"enabled": ["calculator", "search"]}
    }

`context` takes any `MementoContext` field; `mcp_servers` uses langchain-mcp-adapters' own
connection format and is merged over the bundled servers; `tools` holds `enabled` (the servers
to start; all when absent) and options of the bundled servers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodes.context import MementoContext
from tools.config import build_connections, servers_from_config

if TYPE_CHECKING:
    from langchain_mcp_adapters.sessions import Connection

CONFIG_ENV = "MEMENTO_CONFIG"
_SECTIONS = {"context", "mcp_servers", "mcpServers", "tools"}


class ConfigError(ValueError):
    """The config file is missing or malformed; the message names the file and field."""


@dataclass
class MementoSettings:
    """A run's context plus what is needed to open its resources."""

    context: MementoContext
    mcp_servers: dict[str, Any] = field(default_factory=dict)
    enabled_servers: list[str] | None = None
    tool_options: dict[str, Any] = field(default_factory=dict)

    def connections(self) -> dict[str, Connection]:
        """The MCP connections to open: the user's servers over the bundled ones, narrowed to
        `enabled`, with the bundled servers' options applied."""
        return build_connections(
            self.mcp_servers, enabled=self.enabled_servers, bundled_options=self.tool_options
        )


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The parsed JSON object of a config file; errors name the file, line and column."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"config file {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a JSON object")
    unknown = set(data) - _SECTIONS
    if unknown:
        raise ConfigError(
            f"config file {str(path)!r}: unknown section {', '.join(map(repr, sorted(unknown)))} "
            f"(known: context, mcp_servers, tools)"
        )
    return data


def load_settings(
    config_path: str | Path | None = None, **context_overrides: Any
) -> MementoSettings:
    """Settings from the config file (or $MEMENTO_CONFIG), with overrides that are not None."""
    path = config_path or os.environ.get(CONFIG_ENV)
    data = read_config_file(path) if path else {}
    where = f"config file {str(path)!r}" if path else "settings"
    context_values = _section(data, "context", where)
    context_values.update({k: v for k, v in context_overrides.items() if v is not None})
    try:
        context = MementoContext.from_mapping(context_values)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    tool_options = _section(data, "tools", where)
    enabled = tool_options.pop("enabled", None)
    if enabled is not None and not (
        isinstance(enabled, list) and all(isinstance(n, str) for n in enabled)
    ):
        raise ConfigError(f"{where}: field 'tools.enabled' must be a list of server names")
    return MementoSettings(
        context=context,
        mcp_servers=servers_from_config(data),
        enabled_servers=enabled,
        tool_options=tool_options,
    )


def _section(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: section {name!r} must be a JSON object")
    return dict(value)
