"""The qdrant-client engine: in memory, Qdrant's local mode in a folder, or a Qdrant server.

Local mode (and ':memory:') searches by brute force in Python and evaluates filters point by
point, so it suits small banks and tests; a server indexes vectors and payloads and serves many
processes. Both speak the same API, so one class covers them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from memory.engines.protocol import (
    EVERYWHERE,
    Engine,
    FieldMatch,
    GroupHit,
    ScoredPoint,
    StoredPoint,
    Where,
    as_floats,
)
from memory.errors import BankInUseError

SCROLL_PAGE = 256


def open_qdrant(location: str) -> QdrantClient:
    """A client for ':memory:', a local folder, or a server URL (http:// or https://)."""
    if location == ":memory:":
        return QdrantClient(location=":memory:")
    if location.startswith(("http://", "https://")):
        return QdrantClient(url=location)
    try:
        return QdrantClient(path=location)
    except RuntimeError as exc:
        if "already accessed" in str(exc):
            raise BankInUseError(location) from exc
        raise


class QdrantStore:
    """Collections of one qdrant-client (local mode is not thread-safe: `CaseBank` serialises
    its calls)."""

    def __init__(self, client: QdrantClient, *, engine: Engine) -> None:
        self.client = client
        self.engine = engine
        # A server's client sends requests (thread-safe); local mode and ':memory:' are Python
        # collections that another thread's write may change mid-search.
        self.concurrent_reads = engine == "server"

    def stored_dim(self, name: str) -> int | None:
        if not self.client.collection_exists(name):
            return None
        info = self.client.get_collection(name)
        return int(info.config.params.vectors.size)  # type: ignore[union-attr]

    def collection(
        self,
        name: str,
        *,
        dim: int,
        keyword_fields: Sequence[str],
        vector_index: bool,
        read_keys: Sequence[str] | None = None,
    ) -> QdrantCollection:
        if not self.client.collection_exists(name):
            self.client.create_collection(
                name, vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE)
            )
            if not is_embedded(self.client):
                for key in keyword_fields:
                    self.client.create_payload_index(name, key, models.PayloadSchemaType.KEYWORD)
        return QdrantCollection(self.client, name)

    def drop(self, name: str) -> None:
        if self.client.collection_exists(name):
            self.client.delete_collection(name)

    def optimize(self) -> None:
        return None  # a server indexes in the background; local mode has no index to build

    def defer_indexing(self, deferred: bool) -> None:
        return None

    def warm_up(self) -> int:
        return 0  # local mode holds everything in RAM already; a server warms itself

    def wait_until_warm(self) -> None:
        return None

    def close(self) -> None:
        self.client.close()


class QdrantCollection:
    """One qdrant-client collection behind the `Collection` interface."""

    def __init__(self, client: QdrantClient, name: str) -> None:
        self.client = client
        self.name = name

    def upsert(self, points: Sequence[tuple[StoredPoint, Sequence[float]]]) -> None:
        structs = [
            models.PointStruct(id=p.id, vector=as_floats(vector), payload=p.payload)
            for p, vector in points
        ]
        self.client.upsert(self.name, points=structs, wait=True)

    def retrieve(
        self,
        ids: Sequence[str],
        *,
        with_vectors: bool = False,
        payload_keys: Sequence[str] | None = None,
    ) -> list[StoredPoint]:
        keys = True if payload_keys is None else list(payload_keys)
        records = self.client.retrieve(
            self.name, list(ids), with_payload=keys, with_vectors=with_vectors
        )
        return [
            StoredPoint(
                id=str(r.id),
                payload=r.payload or {},
                vector=list(r.vector) if with_vectors else None,  # type: ignore[arg-type]
            )
            for r in records
        ]

    def search(self, vector: Sequence[float], *, where: Where, limit: int) -> list[ScoredPoint]:
        result = self.client.query_points(
            self.name,
            query=as_floats(vector),
            query_filter=_filter(where),
            limit=limit,
            with_payload=True,
        )
        return [_scored(p) for p in result.points]

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
        """One search per group, in one batch: a point whose `key` holds a list is in several
        groups, which Qdrant's own grouping would count against the groups asked for."""
        if not groups:
            return []
        query, keys = as_floats(vector), list(dict.fromkeys([key, *payload_keys]))
        requests = [
            models.QueryRequest(
                query=query,
                filter=_filter(
                    Where(must=(FieldMatch(key, (group,)), *where.must), must_not=where.must_not)
                ),
                limit=per_group,
                with_payload=keys,
            )
            for group in groups
        ]
        found = self.client.query_batch_points(self.name, requests=requests)
        return [
            GroupHit(h.payload or {}, float(h.score), group)
            for group, result in zip(groups, found, strict=True)
            for h in result.points
        ]

    def nearest_values_per_group(self, *args: Any, **kwargs: Any) -> None:
        return None  # no copy in memory: the caller reads `nearest_per_group`'s payloads

    def delete(self, ids: Sequence[str]) -> None:
        self.client.delete(
            self.name, points_selector=models.PointIdsList(points=list(ids)), wait=True
        )

    def delete_where(self, where: Where) -> None:
        self.client.delete(
            self.name,
            points_selector=models.FilterSelector(filter=_filter(where) or models.Filter()),
            wait=True,
        )

    def count(self, where: Where) -> int:
        return self.client.count(self.name, count_filter=_filter(where), exact=True).count

    def scroll(self, where: Where, *, with_vectors: bool = False) -> Iterator[StoredPoint]:
        offset = None
        while True:
            records, offset = self.client.scroll(
                self.name,
                scroll_filter=_filter(where),
                limit=SCROLL_PAGE,
                offset=offset,
                with_payload=True,
                with_vectors=with_vectors,
            )
            for r in records:
                vector = list(r.vector) if with_vectors else None  # type: ignore[arg-type]
                yield StoredPoint(id=str(r.id), payload=r.payload or {}, vector=vector)
            if offset is None:
                return


def is_embedded(client: QdrantClient) -> bool:
    """Local mode ignores payload indexes (and warns), so only a server gets them."""
    return type(client._client).__name__ == "QdrantLocal"


def _condition(m: FieldMatch) -> models.FieldCondition:
    if len(m.values) == 1:
        return models.FieldCondition(key=m.key, match=models.MatchValue(value=m.values[0]))
    return models.FieldCondition(key=m.key, match=models.MatchAny(any=list(m.values)))


def _filter(where: Where) -> models.Filter | None:
    if not where.must and not where.must_not:
        return None
    return models.Filter(
        must=[_condition(m) for m in where.must],
        must_not=[_condition(m) for m in where.must_not],
    )


def _scored(point: models.ScoredPoint) -> ScoredPoint:
    payload: dict[str, Any] = point.payload or {}
    return ScoredPoint(id=str(point.id), score=float(point.score), payload=payload)
