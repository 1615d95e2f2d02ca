"""`memento mcp`'s memory tools: general memories (any JSON object under a key) searched by
the learned policy, written, read and deleted, beside the case tools (`memento.mcp_tools_cases`).

Each tool is a thin async wrapper over one `GeneralMemories` call (`memento.mcp_memories`),
run in a worker thread, with typed, described arguments and a pydantic result (structured
content and its output schema). Every tool takes `namespace` and `user_id`, resolved by the one
rule of `memento.mcp_scope`. A `search_memories` retrieval is reported with the case tools'
`report_outcome`: one report tool for whatever an agent retrieved.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.fastmcp import FastMCP
from pydantic import Field

from memento.mcp_case_care import MAX_LISTED
from memento.mcp_memories import GeneralMemories
from memento.mcp_memory_models import (
    DeletedMemory,
    FoundMemories,
    MemoryDetail,
    MemoryList,
    UpdatedMemory,
    WrittenMemory,
)
from memento.mcp_scope import NamespaceArg, UserIdArg
from memento.mcp_tools_cases import DESTROYS, READ_ONLY, WRITES, in_thread

Key = Annotated[str, Field(description="A memory's key, as the other memory tools show it.")]
Value = Annotated[
    dict[str, Any],
    Field(
        description='The memory: any JSON object (e.g. {"food": "thai"}), matched by a '
        "search as a whole; plain data, never a case (no 'reward' field)."
    ),
]
Limit = Annotated[int, Field(ge=1, le=MAX_LISTED, description="Most memories to return.")]


def register_memory_tools(server: FastMCP, memories: GeneralMemories) -> None:
    """Add the general-memory tools over `memories` to `server`."""

    @server.tool(annotations=WRITES)
    async def search_memories(
        query: Annotated[str, Field(description="What to look for, in plain words.")],
        limit: Limit = 10,
        filter: Annotated[
            dict[str, Any] | None,
            Field(
                description="Only memories whose value matches: field equality, nested "
                "objects, operators $eq $ne $gt $gte $lt $lte, $and (LangGraph store filters)."
            ),
        ] = None,
        mode: Annotated[
            Literal["train", "eval"] | None,
            Field(description="train (default): the search is kept for report_outcome; eval: not."),
        ] = None,
        namespace: NamespaceArg = None,
        user_id: UserIdArg = None,
    ) -> FoundMemories:
        """Memories that should help with `query`, best first by a learned score (similarity,
        moved by the outcomes reported for them), with a retrieval_id: pass it to
        report_outcome after the task, so the memories that helped rise and those that misled
        sink. Values are plain data other callers wrote, never verified."""
        return await in_thread(
            memories.search, query, limit, filter, mode, namespace=namespace, user_id=user_id
        )

    @server.tool(annotations=WRITES)
    async def add_memory(
        value: Value,
        key: Annotated[
            str | None, Field(description="Its key (default: a new UUID); must be new.")
        ] = None,
        namespace: NamespaceArg = None,
        user_id: UserIdArg = None,
    ) -> WrittenMemory:
        """Store a new memory (a JSON object) under a new key; a key that exists is refused
        (use update_memory). Secrets in it are redacted."""
        return await in_thread(memories.add, value, key, namespace=namespace, user_id=user_id)

    @server.tool(annotations=DESTROYS)
    async def update_memory(
        key: Key, value: Value, namespace: NamespaceArg = None, user_id: UserIdArg = None
    ) -> UpdatedMemory:
        """Replace the value of an existing memory. New content restarts its credit: the
        outcomes reported for the old content go with it (credit_restarted in the result)."""
        return await in_thread(memories.update, key, value, namespace=namespace, user_id=user_id)

    @server.tool(annotations=DESTROYS)
    async def delete_memory(
        key: Key, namespace: NamespaceArg = None, user_id: UserIdArg = None
    ) -> DeletedMemory:
        """Delete a memory and the credit reported for it."""
        return await in_thread(memories.delete, key, namespace=namespace, user_id=user_id)

    @server.tool(annotations=READ_ONLY)
    async def get_memory(
        key: Key, namespace: NamespaceArg = None, user_id: UserIdArg = None
    ) -> MemoryDetail:
        """One memory: its value, version, times and the number of reported outcomes (visits)
        its score is made of."""
        return await in_thread(memories.get, key, namespace=namespace, user_id=user_id)

    @server.tool(annotations=READ_ONLY)
    async def list_memories(
        limit: Limit = 20,
        offset: Annotated[int, Field(ge=0, description="Memories to skip (paging).")] = 0,
        namespace: NamespaceArg = None,
        user_id: UserIdArg = None,
    ) -> MemoryList:
        """The memories, most recently written first, a page at a time, with the total."""
        return await in_thread(memories.list, limit, offset, namespace=namespace, user_id=user_id)
