"""Checkpointers for the graph, so that an interrupted task resumes where it stopped.

A checkpoint is saved after every node; invoking the graph again with the same `thread_id` and
no input continues from the last one without redoing finished nodes. The state holds our own
pydantic records, which LangGraph's serializer only reads back when they are allow-listed (it
warns today and will refuse in strict mode), so every saver here is built with that list, and
with secrets redacted from all it stores, the graph's input included
(`graphs.checkpoint_serde`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from graphs.checkpoint_serde import RedactingSerializer

# LangGraph and the node records are imported inside the functions: `memento run --help` names
# CHECKPOINTS_ENV and must not wait for them.
CHECKPOINTS_ENV = "MEMENTO_CHECKPOINTS"


def checkpoint_serializer() -> RedactingSerializer:
    """LangGraph's serializer, allowed to read back the records in Memento's state, that
    stores no secret."""
    from graphs.checkpoint_serde import RedactingSerializer
    from nodes.schemas import Judgement, Plan, PlanStep, RetrievedCase, StepResult, ToolCallRecord

    records = (Plan, PlanStep, StepResult, ToolCallRecord, RetrievedCase, Judgement)
    allowed = [(t.__module__, t.__name__) for t in records]
    return RedactingSerializer(allowed_msgpack_modules=allowed)


def memory_checkpointer() -> InMemorySaver:
    """Checkpoints in this process's memory (tests, notebooks)."""
    from langgraph.checkpoint.memory import InMemorySaver

    return InMemorySaver(serde=checkpoint_serializer())


def default_checkpoints_path() -> Path:
    """$MEMENTO_CHECKPOINTS, else checkpoints.sqlite in the user's data directory."""
    if os.environ.get(CHECKPOINTS_ENV):
        return Path(os.environ[CHECKPOINTS_ENV]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "memento" / "checkpoints.sqlite"


@asynccontextmanager
async def sqlite_checkpointer(path: str | Path | None = None) -> AsyncIterator[AsyncSqliteSaver]:
    """An `AsyncSqliteSaver` on a file (default: `default_checkpoints_path()`), closed after."""
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(path) if path is not None else default_checkpoints_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(path)) as conn:
        yield AsyncSqliteSaver(conn, serde=checkpoint_serializer())
