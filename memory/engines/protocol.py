"""What the case bank needs from a vector engine: collections of points, filters, results.

`CaseBank` speaks only this small interface, so the same bank logic (dedup, visits, namespaces)
runs on every engine: qdrant-client (in memory, Qdrant's local mode in a folder, or a Qdrant
server by URL) and Qdrant Edge (an in-process engine with HNSW and payload indexes). Records are
identified by UUID strings; payloads are JSON objects; vectors are compared by cosine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

if TYPE_CHECKING:
    import numpy as np

if TYPE_CHECKING:
    from memory.engines.protocol import GroupValues, ValueOf

Engine = Literal["memory", "local", "edge", "server"]

EDGE_FOLDER = "edge"
"""Inside a bank folder, Qdrant Edge keeps one shard per collection under this subfolder."""


@dataclass(frozen=True)
class FieldMatch:
    """The payload field `key` holds one of `values` (one value: plain equality)."""

    key: str
    values: tuple[str | bool, ...]


@dataclass(frozen=True)
class Where:
    """Every `must` condition holds and no `must_not` condition does (empty: everything)."""

    must: tuple[FieldMatch, ...] = ()
    must_not: tuple[FieldMatch, ...] = ()


EVERYWHERE = Where()
"""The filter that matches every point."""


PackedPayload = str
"""A stored payload as its JSON text (read it with `unpacked`); a payload is otherwise a dict.

The exact copy of a small bank keeps its cases' payloads so: one string each, which the
garbage collector never walks (a `str` subclass would be tracked), where a case's dict (plan,
trajectory, tool calls) is a dozen containers it walks on every full pass, which stops every
thread (at 21k cases the copy's dicts were ~70 ms of a 150 ms pass). A case search hands it on
unread: the reader parses a case once per stored object
(`memory.bank.stored_records.case_from_payload`).
"""


def unpacked(payload: dict[str, Any] | PackedPayload | None) -> dict[str, Any] | None:
    """A payload as a dict, read from its JSON text where it is packed."""
    return json.loads(payload) if isinstance(payload, str) else payload


def as_floats(vector: Sequence[float]) -> list[float]:
    """A vector as the Python floats an engine's client takes. `list()` of a numpy array
    yields numpy scalars, each converted one by one on the engine's side (a tenth of a
    millisecond per 384-d point written, under the GIL); `tolist()` makes plain floats."""
    tolist = getattr(vector, "tolist", None)
    return tolist() if callable(tolist) else list(vector)


def match(key: str, *values: str | bool) -> FieldMatch:
    return FieldMatch(key, tuple(values))


@dataclass(frozen=True)
class StoredPoint:
    """A record as stored: its id, payload and (when asked for) its unit-length vector."""

    id: str
    payload: dict[str, Any] = field(default_factory=dict)
    vector: list[float] | None = None


@dataclass(frozen=True)
class ScoredPoint:
    """A record found by vector search, with its cosine similarity to the query."""

    id: str
    score: float
    payload: dict[str, Any] | PackedPayload


ValueOf = Callable[[dict[str, Any]], tuple[float, float] | None]
"""The two numbers a caller reads from each point's payload (a visit: its target and its time);
None where it could not read them."""


class GroupValues(NamedTuple):
    """Points found per group as columns: each one's group (its position in the groups asked
    for), cosine and two numbers (`ValueOf`, one row each), with no payload read."""

    groups: np.ndarray
    scores: np.ndarray
    values: np.ndarray


class GroupHit(NamedTuple):
    """A point found within one group: its payload, its cosine to the query and the group
    (a point whose `key` holds a list is in the group of each value asked for)."""

    payload: dict[str, Any]
    score: float
    group: str


class Collection(Protocol):
    """One collection of points with a vector and a JSON payload each."""

    def upsert(self, points: Sequence[tuple[StoredPoint, Sequence[float]]]) -> None:
        """Insert or replace points (by id); visible to every read once this returns."""
        ...

    def retrieve(
        self,
        ids: Sequence[str],
        *,
        with_vectors: bool = False,
        payload_keys: Sequence[str] | None = None,
    ) -> list[StoredPoint]:
        """The points with these ids that exist (any order); with `payload_keys`, only those
        fields of each payload are read (a case's namespace without its whole text)."""
        ...

    def search(self, vector: Sequence[float], *, where: Where, limit: int) -> list[ScoredPoint]:
        """The `limit` points nearest to `vector` among those matching `where`, best first
        (a payload may come as its JSON text, `PackedPayload`: read it with `unpacked`)."""
        ...

    def nearest_per_group(
        self,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        payload_keys: Sequence[str],
        where: Where = EVERYWHERE,
    ) -> list[GroupHit]:
        """For each value of `key` in `groups`, its `per_group` points nearest to `vector`
        among those matching `where` (a point whose `key` holds a list is in each group it
        names).

        Group by group, nearest first; the payloads hold `key` and `payload_keys`.
        """
        ...

    def nearest_values_per_group(
        self,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        where: Where,
        value_of: ValueOf,
    ) -> GroupValues | None:
        """`nearest_per_group` as columns with a number per point instead of its payload, or
        None where this engine has no cheaper way than `nearest_per_group` (an exact copy in
        memory has: `memory.engines.exact_index`)."""
        ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def delete_where(self, where: Where) -> None: ...

    def count(self, where: Where) -> int: ...

    def scroll(self, where: Where, *, with_vectors: bool = False) -> Iterator[StoredPoint]:
        """Every matching point with its payload (and vector when asked), read in pages."""
        ...


class VectorStore(Protocol):
    """An engine holding named collections; `CaseBank` owns one and closes it."""

    engine: Engine
    concurrent_reads: bool
    """Whether searches may run while another thread writes (the engine, and any exact copy
    it keeps, synchronize themselves); otherwise `CaseBank` runs one call at a time."""

    def stored_dim(self, name: str) -> int | None:
        """The vector size of an existing collection, or None when there is none."""
        ...

    def collection(
        self,
        name: str,
        *,
        dim: int,
        keyword_fields: Sequence[str],
        vector_index: bool,
        read_keys: Sequence[str] | None = None,
    ) -> Collection:
        """Open the collection, creating it with these keyword indexes if it is new.

        `vector_index=False` says the collection is only ever searched within small filtered
        groups, so an engine may skip building a vector index for it. `read_keys`, where given,
        are the only payload keys its searches filter on or read (an engine keeping a copy in
        memory may keep just those).
        """
        ...

    def drop(self, name: str) -> None:
        """Remove a collection and everything in it (one nothing reads any more, e.g. a
        bank's visits once they were moved to steps); nothing happens where there is none."""
        ...

    def optimize(self) -> None:
        """Build pending indexes now (blocking); a no-op where the engine does it itself."""
        ...

    def warm_up(self) -> int:
        """Start reading an embedded store's files into the page cache, in the background;
        returns the bytes it will read (0: nothing to do)."""
        ...

    def wait_until_warm(self) -> None:
        """Block until the background read started by `warm_up` is done (and, for Qdrant Edge,
        the exact copies of small collections that a first search started building)."""
        ...

    def defer_indexing(self, deferred: bool) -> None:
        """While deferred, build no index as points arrive (a bulk import builds it at the end)."""
        ...

    def close(self) -> None: ...
