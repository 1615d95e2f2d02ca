"""`memento mcp`'s server: the bank's tool groups on one FastMCP server (stdio or streamable
HTTP), with secrets redacted from every tool error (`memento.mcp_redaction`).

A tool group is a module with a `register_*_tools(server, service)` function: the cases'
(`memento.mcp_tools_cases`) and general memories' (`memento.mcp_tools_memories`), over the
same per-call namespace rule (`memento.mcp_scope`), the same per-namespace Q estimators and
one report tool.
"""

from __future__ import annotations

from memento.mcp_memories import GeneralMemories
from memento.mcp_memory import CaseMemory
from memento.mcp_redaction import RedactingFastMCP
from memento.mcp_tools_cases import register_case_tools
from memento.mcp_tools_memories import register_memory_tools

INSTRUCTIONS = (
    "Memento's learned memory of past tasks. Before a task, call retrieve_cases with it; after, "
    "call report_outcome with its retrieval_id, the answer and a reward or ground truth, so the "
    "memory learns which cases help. search_cases, list_cases, get_case and delete_case browse "
    "and correct it. General memories (facts, preferences: any JSON object under a key): "
    "search_memories ranks them by the same learned score (report its retrieval_id with "
    "report_outcome too), add_memory, update_memory, delete_memory, get_memory and "
    "list_memories keep them."
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
    register_memory_tools(server, GeneralMemories(memory))
    return server
