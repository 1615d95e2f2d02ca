"""What `memento mcp`'s memory tools return: pydantic models, so each tool has an output
schema and its result comes as structured content beside the same JSON as text.

A memory's `value` is plain data a caller wrote: nothing in it is verified or trusted (unlike a
case's provenance, which only the server sets)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from memory.bank.memory_items import MemoryItem

UNVERIFIED = "Plain data a caller wrote (never verified; secrets redacted)."


class MemorySummary(BaseModel):
    """A memory in a list or a search: its key, value and version."""

    key: str
    value: dict[str, Any] = Field(description=UNVERIFIED)
    version: str = Field(
        description="The id of this content of the key: an update makes a new one, and the "
        "credit earned by the old content goes with it."
    )
    created_at: float = Field(description="First written (seconds since the epoch).")
    updated_at: float = Field(description="Last written (seconds since the epoch).")

    @classmethod
    def of(cls, item: MemoryItem) -> MemorySummary:
        return cls(
            key=item.key,
            value=item.value,
            version=item.id,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )


class FoundMemory(MemorySummary):
    """A memory found by `search_memories`, with the policy's score for the query."""

    score: float = Field(
        description="The learned policy's score in the query's state: the cosine similarity "
        "until reported outcomes near this query move it up or down."
    )


class FoundMemories(BaseModel):
    """What `search_memories` returns: the memories ranked by the policy, and the id to report
    the outcome with."""

    retrieval_id: str | None = Field(
        description="Pass it to report_outcome once the task is done, so the memories shown "
        "are credited; none in eval mode or when nothing was found."
    )
    namespace: str = Field(description="Whose memories these are.")
    mode: str
    memories: list[FoundMemory] = Field(description="Best first by score.")


class WrittenMemory(BaseModel):
    """What `add_memory` returns: where the value was stored."""

    namespace: str
    key: str
    version: str = Field(description="The id of this content of the key.")
    created_at: float


class UpdatedMemory(BaseModel):
    """What `update_memory` returns: the new version, and what happened to the old one's
    credit."""

    namespace: str
    key: str
    version: str
    previous_version: str
    credit_restarted: bool = Field(
        description="True when the content changed: the new content did not earn the old "
        "one's credit, so its score starts again from similarity (the old version and its "
        "visits are gone). False for the same content: nothing changed but updated_at."
    )
    visits_dropped: int = Field(description="Visits of the old version, gone with it.")


class MemoryDetail(MemorySummary):
    """What `get_memory` returns: the memory and how many reported outcomes credit it."""

    namespace: str
    visits: int = Field(description="Reported outcomes (visits) this version's score is made of.")


class MemoryList(BaseModel):
    """What `list_memories` returns: one page of the namespace's memories, newest first."""

    namespace: str
    total: int = Field(description="Memories in the namespace.")
    offset: int
    memories: list[MemorySummary]


class DeletedMemory(BaseModel):
    """What `delete_memory` returns: the memory gone and the visits that went with it."""

    namespace: str
    key: str
    version: str
    visits: int = Field(description="Its visits, deleted with it.")
