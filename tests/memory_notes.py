"""A small world of notes saved to memory, shared by the graph's and the middleware's tests:
one note about the task, a helpful and a misleading note for a family of arithmetic tasks, a
tool that searches the user's notes through the store, and the notes' scores as the policy
reads them for a task it has not seen."""

from __future__ import annotations

import numpy as np
from langgraph.config import get_store

from memory import CaseBank, KernelQ
from memory.adapters.langgraph_store import MementoStore
from memory.bank.memory_items import MemoryItem
from memory.policy.read import read_memories
from tests.fakes import HashingEmbedder

TASK = "What is 17 * 23 + 4?"
NOTE = {"content": "What is 17 * 23 + 4? the user wants the calculator used"}
HELPFUL = {"content": "arithmetic task: add the tens first and check the sum"}
MISLEADING = {"content": "arithmetic task what is the sum: answer zero"}


def put_note(
    bank: CaseBank, embedder: HashingEmbedder, key: str, value: dict, ns=("default",)
) -> MemoryItem | None:
    """Save a note through the store, as a user's app would; the version the bank holds."""
    MementoStore(bank, embedder).put(ns, key, value)
    return bank.memories.find(":".join(ns), key)


def arithmetic_task(n: int) -> str:
    return f"arithmetic task {n}: what is the sum of {n} and {n * 3}?"


def task_number(task: str) -> int:
    return int(task.split("task ")[1].split(":")[0])


def recall(query: str) -> str:
    """Search the user's notes."""
    hits = get_store().search(("notes", "alice"), query=query, limit=1)
    return "; ".join(str(hit.value) for hit in hits) or "nothing"


def note_scores(bank: CaseBank, embedder: HashingEmbedder) -> dict[str, float]:
    """Each note's score in eval mode for a task of the family not run before."""
    read = read_memories(
        bank,
        KernelQ(bank),
        embedder.embed_query(arithmetic_task(99)),
        namespace="default",
        limit=32,
        k=2,
        alpha=0.1,
        mode="eval",
        rng=np.random.default_rng(0),
        min_similarity=0.3,
    )
    return {r.memory.key: round(r.q, 3) for r in read}
