"""`memento tools list`: start the configured MCP servers and show every tool they offer."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from memento.cli.options import add_settings_options, add_tools_option, settings_from_args

if TYPE_CHECKING:
    from langchain_mcp_adapters.sessions import Connection


@dataclass
class ToolInfo:
    """One tool as a model sees it: its server, name, description and argument schema."""

    server: str
    name: str
    description: str
    args_schema: dict[str, Any]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tools", help="inspect the MCP tools")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser(
        "list", help="start the configured MCP servers and list their tools with argument schemas"
    )
    add_settings_options(listing, ["config"])
    add_tools_option(listing)
    listing.add_argument("--json", action="store_true", help="a JSON list instead of text")
    listing.add_argument(
        "--names", action="store_true", help="only SERVER/TOOL, one a line (for scripts)"
    )
    listing.set_defaults(func=list_command)


async def describe_tools(
    connections: dict[str, Connection], startup_timeout_s: float = 60.0
) -> list[ToolInfo]:
    """Open every server once and describe its tools, in server order."""
    from tools.sessions import ToolSessions

    async with ToolSessions(connections, startup_timeout_s) as sessions:
        return [
            ToolInfo(
                server=sessions.server_of[tool.name],
                name=tool.name,
                description=tool.description or "",
                args_schema=_schema(tool.args_schema),
            )
            for tool in sessions.tools
        ]


def _schema(args_schema: Any) -> dict[str, Any]:
    if isinstance(args_schema, dict):
        return args_schema  # MCP tools carry the server's JSON schema as is
    return args_schema.model_json_schema() if args_schema is not None else {}


def list_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    connections = settings.connections()
    infos = asyncio.run(describe_tools(connections, settings.context.tool_startup_timeout_s))
    if args.json:
        print(json.dumps([asdict(info) for info in infos], indent=2))
        return 0
    if args.names:
        print("\n".join(f"{info.server}/{info.name}" for info in infos))
        return 0
    for info in infos:
        print(f"{info.server} / {info.name}")
        for line in info.description.strip().splitlines():
            print(f"    {line.strip()}")
        schema = json.dumps(info.args_schema, indent=2).replace("\n", "\n    ")
        print(f"    args: {schema}\n")
    servers = len({info.server for info in infos})
    print(f"{len(infos)} tools from {servers} servers: {', '.join(connections)}")
    return 0
