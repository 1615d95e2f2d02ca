"""One Qdrant Edge shard behind the `Collection` interface: its searches (from the exact copy
while it serves), its writes (which let searches in between their steps) and its background
index builder."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from memory.engines.edge_shards import RESCORE, WRITE_FLOOR_BYTES, edge_filter, ensure_free_space
from memory.engines.exact_copy import ExactCopy
from memory.engines.protocol import (
    EVERYWHERE,
    FieldMatch,
    GroupHit,
    GroupValues,
    ScoredPoint,
    StoredPoint,
    ValueOf,
    Where,
    as_floats,
)

_log = logging.getLogger(__name__)

FLUSH_EVERY = 50_000
"""Points written between flushes: a flush lets Qdrant Edge drop the write-ahead log behind it,
so a bulk import's log (and the replay when the bank is next opened) stays bounded."""

SEARCH_EF = 128
"""HNSW beam width of a case search (or the limit, if larger). With N=32 it found all of the
exact top 32 at 100k cases either at 64 (1.2 ms) or 128 (1.5 ms), but at 1M 64 found only 94.5%."""

SCROLL_PAGE = 256
POINTS_PER_STEP = 8
"""Points converted for the engine between two moments a write lets a retrieve run
(`EdgeCollection._let_searches_in`)."""


class EdgeCollection:
    """One Edge shard behind the `Collection` interface, with its background index builder."""

    def __init__(
        self, shard: Any, folder: Path, *, optimize_after: int | None, exact: ExactCopy
    ) -> None:
        self.shard = shard
        self.exact = exact
        self.folder = folder
        self.optimize_after = optimize_after
        self._builder: threading.Thread | None = None
        self._builder_lock = threading.Lock()
        self._indexed_floor = self._unindexed()
        self._unflushed = 0
        self._unflushed_lock = threading.Lock()  # writers and the index builder both count
        self.deferred = False

    # -- index building ------------------------------------------------------------------------
    def _unindexed(self) -> int:
        info = self.shard.info()
        return int(info.points_count - info.indexed_vectors_count)

    def _maybe_build_index(self) -> None:
        """Start a background index build once enough points wait for one (never two at once).

        The floor is what an index build left unindexed (a segment too small to index), so a
        build starts again only after `optimize_after` more points, not on every write.
        """
        if self.optimize_after is None or self.deferred or self.exact.serving:
            return
        if self._unindexed() - self._indexed_floor < self.optimize_after:
            return
        with self._builder_lock:
            if self._builder is not None and self._builder.is_alive():
                return
            self._builder = threading.Thread(
                target=self._build_in_background, name="memento-edge-index", daemon=True
            )
            self._builder.start()

    def _build_in_background(self) -> None:
        """`optimize`, where a failure is logged, not raised: searches stay exact without it."""
        try:
            self.optimize()
        except Exception as exc:
            self._indexed_floor = self._unindexed()  # not again before optimize_after more
            _log.warning("Qdrant Edge index build failed (searches stay exact): %s", exc)

    def optimize(self) -> None:
        """Build pending indexes and flush, blocking until done (refused, like any write,
        on a disk without WRITE_FLOOR_BYTES free: the build writes new segments)."""
        ensure_free_space(self.folder, WRITE_FLOOR_BYTES, "build its index")
        self.shard.optimize()
        with self._unflushed_lock:
            self.shard.flush()
            self._unflushed = 0
        self._indexed_floor = self._unindexed()

    def wait_for_index(self) -> None:
        """Wait for a background index build, if one is running."""
        builder = self._builder
        if builder is not None:
            builder.join()

    def _written(self, points: int) -> None:
        with self._unflushed_lock:
            self._unflushed += points
            if self._unflushed >= FLUSH_EVERY:
                self.shard.flush()
                self._unflushed = 0

    def close(self) -> None:
        self.exact.stop()
        self.wait_for_index()
        with self._unflushed_lock:
            if self._unflushed:
                self.shard.flush()
        self.shard.close()

    # -- Collection ----------------------------------------------------------------------------
    def upsert(self, points: Sequence[tuple[StoredPoint, Sequence[float]]]) -> None:
        ensure_free_space(self.folder, WRITE_FLOOR_BYTES, "write to it")
        engine_points: list[Any] = []
        for start in range(0, len(points), POINTS_PER_STEP):
            step = points[start : start + POINTS_PER_STEP]
            engine_points += [qe.Point(p.id, as_floats(vector), p.payload) for p, vector in step]
            self._let_searches_in()
        self.shard.update(qe.UpdateOperation.upsert_points(engine_points))
        self._let_searches_in()
        self.exact.upserted(points)
        self._written(len(points))
        self._maybe_build_index()

    def _let_searches_in(self) -> None:
        """Between two steps of a write, release the GIL for an instant: a retrieve waiting for
        it runs, and the write goes on after it.

        Building the engine's points (~20 us each with a visit's payload), the engine's
        `update` and the exact copy's update all hold the GIL: a task's 32 visits (contrastive
        credit) are ~2 ms of it. A thread waiting for the GIL gets it when the holder blocks,
        or after the 5 ms switch interval, so a retrieve arriving mid-write waited for all of
        it (`benchmarks/live_growth.py`). The sleep costs the write ~75 us (the kernel's timer
        slack; `os.sched_yield()` releases the GIL too briefly for the waiting thread to take
        it), so a bulk import, which nobody searches meanwhile, never sleeps.
        """
        if not self.deferred:
            time.sleep(0)

    def retrieve(
        self,
        ids: Sequence[str],
        *,
        with_vectors: bool = False,
        payload_keys: Sequence[str] | None = None,
    ) -> list[StoredPoint]:
        keys = True if payload_keys is None else list(payload_keys)
        records = self.shard.retrieve(list(ids), with_payload=keys, with_vector=with_vectors)
        return [_stored(r, with_vectors) for r in records]

    def search(self, vector: Sequence[float], *, where: Where, limit: int) -> list[ScoredPoint]:
        found = self.exact.search(self._points, vector, where=where, limit=limit)
        if found is not None:
            return found
        hits = self.shard.query(
            qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(as_floats(vector)),
                filter=edge_filter(where),
                with_payload=True,
                params=qe.SearchParams(hnsw_ef=max(SEARCH_EF, limit), quantization=RESCORE),
            )
        )
        return [_scored(h) for h in hits]

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
        """One filtered search over all the groups, then one per group it could not settle.

        The first search takes the len(groups) * per_group points nearest to `vector` among
        the groups' points. A group with per_group of them is settled: any nearer point of its
        own would have been found too. So is every group when fewer points came back than asked
        for (there are no more). Only a full search can have crowded out a group short of
        per_group; those few get a search each. Searches read the groups' points through the
        keyword index on `key` (a point holding a list is in each group it names), so the cost
        is those groups' own points. A small collection is read from its exact copy instead.
        """
        found = self.exact.nearest_per_group(
            self._points, vector, key=key, groups=groups, per_group=per_group, where=where,
            payload_keys=payload_keys,
        )  # fmt: skip
        if found is not None:
            return found
        query = qe.Query.Nearest(as_floats(vector))
        selector = qe.PayloadSelector.Include(list(dict.fromkeys([key, *payload_keys])))

        def search(members: Sequence[str], limit: int) -> Any:
            in_members = Where(
                must=(FieldMatch(key, tuple(members)), *where.must), must_not=where.must_not
            )
            return qe.QueryRequest(
                limit=limit, query=query, filter=edge_filter(in_members), with_payload=selector
            )

        by_group: dict[str, list[GroupHit]] = {g: [] for g in groups}
        limit = per_group * len(by_group)
        hits = self.shard.query(search(list(by_group), limit))
        for hit in hits:
            value = hit.payload[key]
            for group in value if isinstance(value, list) else [value]:
                found = by_group.get(group)
                if found is not None and len(found) < per_group:
                    found.append(GroupHit(hit.payload, hit.score, group))
        short = [g for g, found in by_group.items() if len(found) < per_group]
        if len(hits) == limit and short:
            batch = self.shard.query_batch(
                qe.QueryBatchRequest([search([g], per_group) for g in short])
            )
            for group, group_hits in zip(short, batch, strict=True):
                by_group[group] = [GroupHit(h.payload, h.score, group) for h in group_hits]
        return [hit for found in by_group.values() for hit in found]

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
        """From the exact copy only: the engine's answer is `nearest_per_group`'s."""
        return self.exact.nearest_values_per_group(
            self._points,
            vector,
            key=key,
            groups=groups,
            per_group=per_group,
            where=where,
            value_of=value_of,
        )

    def delete(self, ids: Sequence[str]) -> None:
        ensure_free_space(self.folder, WRITE_FLOOR_BYTES, "write to it")  # the log grows
        self.shard.update(qe.UpdateOperation.delete_points(list(ids)))
        self.exact.deleted(ids)
        self._written(len(ids))

    def delete_where(self, where: Where) -> None:
        ensure_free_space(self.folder, WRITE_FLOOR_BYTES, "write to it")
        self.shard.update(
            qe.UpdateOperation.delete_points_by_filter(edge_filter(where) or qe.Filter())
        )
        self.exact.deleted_where(where)
        self._written(1)

    def _points(self) -> tuple[int, Iterator[StoredPoint]]:
        """How many points the shard holds, and all of them with vectors (read lazily)."""
        return int(self.shard.info().points_count), self.scroll(EVERYWHERE, with_vectors=True)

    def count(self, where: Where) -> int:
        return int(self.shard.count(qe.CountRequest(exact=True, filter=edge_filter(where))))

    def scroll(self, where: Where, *, with_vectors: bool = False) -> Iterator[StoredPoint]:
        offset = None
        while True:
            records, offset = self.shard.scroll(
                qe.ScrollRequest(
                    offset=offset,
                    limit=SCROLL_PAGE,
                    filter=edge_filter(where),
                    with_payload=True,
                    with_vector=with_vectors,
                )
            )
            yield from (_stored(r, with_vectors) for r in records)
            if offset is None:
                return


def _stored(record: Any, with_vector: bool) -> StoredPoint:
    vector = record.vector if with_vector else None
    return StoredPoint(id=str(record.id), payload=record.payload or {}, vector=vector)


def _scored(point: Any) -> ScoredPoint:
    return ScoredPoint(id=str(point.id), score=float(point.score), payload=point.payload or {})
