"""`memento mcp`'s server: the bank's tool groups on one FastMCP server (stdio or streamable
HTTP), with secrets redacted from every tool error (`memento.mcp_redaction`).

A tool group is a module with a `register_*_tools(server, service)` function: the cases'
(`memento.mcp_tools_cases`) today; general memories' beside it, over the same per-call
namespace rule (`memento.mcp_scope`).
"""

from __future__ import annotations

from memento.mcp_memory import CaseMemory
from memento.mcp_redaction import RedactingFastMCP
from memento.mcp_tools_cases import register_case_tools

INSTRUCTIONS = (
    "Memento's learned memory of past tasks. Before a task, call retrieve_cases with it; after, "
    "call report_outcome with its retrieval_id, the answer and a reward or ground truth, so the "
    "memory learns which cases help. search_cases, list_cases, get_case and delete_case browse "
    "and correct it."
)


def build_server(
    memory: CaseMemory, *, host: str = "127.0.0.1", port: int = 8000
) -> RedactingFastMCP:
    """The MCP server with every tool group over `memory`; no secret leaves it in a tool's
    error."""
    server = RedactingFastMCP(
        "memento-memory", instructions=INSTRUCTIONS, host=host, port=port, log_level="WARNING"
    )
    register_case_tools(server, memory)
    return server
