"""The retrievals `memento mcp` remembers until their outcome is reported: bounded, oldest first.

A report names a retrieval by id and brings only the answer, so the server keeps, per
retrieval, what writing the case and its visits needs: the task as the bank will store it,
cut to the case's question cap and compressed (never the whole task: 60 retrievals of a 1 MB
task kept 58 MB, now 0.7 MB), its state vector (float32, as the engines store it), the ids of
the cases read and left unread, and the outcome once reported (so a repeated report is a
no-op). At most `MAX_REMEMBERED` retrievals and `MAX_REMEMBERED_BYTES` are kept; past either,
the oldest go.

A retrieval id says which server process made it and in which order (`<server><sequence>
<random>`, 32 hex digits), so a report that names a forgotten retrieval is told so, and why,
rather than that the id is unknown.
"""

from __future__ import annotations

import re
import secrets
import sys
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from memory.bank.limits import MAX_QUESTION_CHARS, cut
from memory.policy.sampling import Mode

MAX_REMEMBERED = 10_000
"""Retrievals kept for a report; the oldest are forgotten first."""
MAX_REMEMBERED_BYTES = 32 << 20
"""Memory those retrievals may hold together (a retrieval of a long task holds ~20-80 KB)."""
_RETRIEVAL_ID = re.compile(r"[0-9a-f]{32,}")
_PER_ENTRY = 600  # the record, its dict slot and its id, beside what `Pending.size` counts


@dataclass
class Pending:
    """One retrieval waiting for its outcome."""

    compressed_question: bytes
    vector: np.ndarray
    shown: tuple[str, ...]
    unread: tuple[str, ...]
    mode: Mode
    outcome: BaseModel | None = None
    size: int = field(init=False)

    @classmethod
    def of(
        cls, task: str, vector: list[float], shown: list[str], unread: list[str], mode: Mode
    ) -> Pending:
        """What a retrieval keeps: the task cut as the bank would store it, the vector in
        float32."""
        question = zlib.compress(cut(task, MAX_QUESTION_CHARS).encode(), 1)
        vector_ = np.asarray(vector, dtype=np.float32)
        return cls(question, vector_, tuple(shown), tuple(unread), mode)

    @property
    def question(self) -> str:
        """The task as the case will hold it."""
        return zlib.decompress(self.compressed_question).decode()

    def __post_init__(self) -> None:
        ids = sum(sys.getsizeof(i) for i in (*self.shown, *self.unread))
        question = sys.getsizeof(self.compressed_question)
        self.size = question + self.vector.nbytes + ids + _PER_ENTRY


class RetrievalLog:
    """Retrievals by id, within a count and a memory budget; not thread-safe (the caller locks)."""

    def __init__(
        self, max_count: int = MAX_REMEMBERED, max_bytes: int = MAX_REMEMBERED_BYTES
    ) -> None:
        self.max_count, self.max_bytes = max_count, max_bytes
        self._server = secrets.token_hex(4)
        self._next = 0
        self._held: OrderedDict[str, Pending] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._held)

    def add(self, retrieval: Pending) -> str:
        """Remember `retrieval`, forgetting the oldest past the budget; returns its id: random
        first (it is the visits' run id, which `cases why` shows by its first 8 characters),
        then this server's token and the retrieval's number."""
        retrieval_id = f"{secrets.token_hex(8)}{self._server}{self._next:08x}"
        self._next += 1
        self._held[retrieval_id] = retrieval
        self.bytes += retrieval.size
        while len(self._held) > self.max_count or self.bytes > self.max_bytes:
            _, oldest = self._held.popitem(last=False)
            self.bytes -= oldest.size
        return retrieval_id

    def get(self, retrieval_id: str) -> Pending | None:
        return self._held.get(retrieval_id)

    def why_missing(self, retrieval_id: str) -> str:
        """One line for a report whose retrieval is not held: forgotten, older, or unknown."""
        server, sequence = retrieval_id[16:24], retrieval_id[24:]
        known = _RETRIEVAL_ID.fullmatch(retrieval_id) is not None
        if known and server == self._server and int(sequence, 16) < self._next:
            return (
                f"retrieval_id {retrieval_id!r} was forgotten: this server keeps the last "
                f"{self.max_count} retrievals within {self.max_bytes >> 20} MB, the oldest "
                "dropped first; report an outcome soon after its retrieval, or call "
                "retrieve_cases again"
            )
        if known:
            return (
                f"retrieval_id {retrieval_id!r} is from an earlier run of this server "
                "(retrievals are forgotten when the server restarts): call retrieve_cases again"
            )
        return (
            f"unknown retrieval_id {retrieval_id!r}: call retrieve_cases first "
            "(retrievals are forgotten when the server restarts)"
        )
