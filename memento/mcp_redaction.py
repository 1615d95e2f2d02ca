"""An MCP server whose tool errors carry no secret of the environment.

A tool's error reaches the client as the text of the exception it raised: an embeddings
endpoint's HTTP 400 that quotes the request's `Authorization: Bearer sk-...`, a validation
error that repeats an argument. FastMCP turns every failure of a tool call (the tool's own
exceptions, bad arguments, an unknown tool) into an error result from what `call_tool` raises,
the one method every call goes through, so redacting there covers every tool, present and
future. (What tools return comes from the bank, which redacts every case it stores.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ContentBlock

from memory.bank.redaction import redact_text, secrets_in


class RedactingFastMCP(FastMCP):
    """`FastMCP` with secrets redacted from every tool call's error."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any]
    ) -> Sequence[ContentBlock] | dict[str, Any]:
        try:
            return await super().call_tool(name, arguments)
        except Exception as exc:  # the client is shown str(exc), as FastMCP would show it
            raise ToolError(redact_text(str(exc), secrets_in())) from None
