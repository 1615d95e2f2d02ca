"""The Qdrant Edge engine: Qdrant's in-process shard, with HNSW and payload indexes, in a folder.

Each collection is one Edge shard under `<folder>/edge/<name>`. Searches are exact over points
not yet indexed and use HNSW over indexed ones, so a search is correct before any index exists
and fast after. Building the index is Qdrant Edge's explicit, blocking `optimize()`; the bank
runs it in a background thread once `optimize_after` points are waiting, and on demand
(`CaseBank.optimize()`, e.g. after a bulk import).

One caveat, measured with qdrant-edge-py 0.9: `optimize()` holds the GIL while it runs, so the
rest of the process pauses for its duration (a few seconds per 10k waiting points on 2 cores)
even though it is called from another thread. So a collection small enough to be searched from
its exact copy in memory (`memory.exact_copy`: up to 65k cases of 384 dimensions; the visits
of up to 65k tasks, 1M visits at most) builds no index in the background at all: its
searches do not need one, and a live bank growing within that size never pauses for it
(`benchmarks/live_growth.py`). Past that size the copy gives up, the background build
resumes, and the pause is bounded by `optimize_after`. Its other calls hold the GIL too, briefly:
searches run beside writes (`EdgeStore.concurrent_reads`: the shards and each exact copy lock
themselves), and a write hands the GIL to them between its steps (`_let_searches_in`).

Two quirks of qdrant-edge-py 0.9, worked around here and in `CaseBank`: a Python bool in a
filter is read as the integer 0/1 (we pass numpy bools), and a payload float with 17 significant
digits may come back one unit in the last place off (the bank stores times to the microsecond).

Visits are only ever read within a few cases (`nearest_per_group`, through the keyword index on
`case_id`), so their collection gets no graph: reading the candidates' nearest visits scans
exactly those cases' visits, never the whole collection, and their vectors stay on disk.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from memory.errors import BankInUseError, CaseBankError
from memory.exact_copy import ExactCopy
from memory.exact_index import GroupValues, ValueOf
from memory.store import (
    EDGE_FOLDER,
    EVERYWHERE,
    FieldMatch,
    GroupHit,
    ScoredPoint,
    StoredPoint,
    Where,
    as_floats,
)

_log = logging.getLogger(__name__)

OPTIMIZE_AFTER = 10_000
"""Points not yet in an optimized segment that start a background build (exact search over
10k cases takes ~1 ms; the build of 10k cases pauses the process for a few seconds)."""

FLUSH_EVERY = 50_000
"""Points written between flushes: a flush lets Qdrant Edge drop the write-ahead log behind it,
so a bulk import's log (and the replay when the bank is next opened) stays bounded."""

SEARCH_EF = 128
"""HNSW beam width of a case search (or the limit, if larger). With N=32 it found all of the
exact top 32 at 100k cases either at 64 (1.2 ms) or 128 (1.5 ms), but at 1M 64 found only 94.5%."""

SCROLL_PAGE = 256

HNSW_PARAMS = {"m": 16, "ef_construct": 100, "full_scan_threshold": 10_000}
"""HNSW of the cases: Qdrant's defaults; full_scan_threshold (KB) is where search goes exact."""

INDEXING_THRESHOLD_KB: int | None = None
"""A case segment larger than this gets an HNSW index when optimized (None: Qdrant's default)."""

VISITS_INDEXING_THRESHOLD_KB = 1_000
"""Visit segments are optimized into immutable, memory-mapped ones (no graph) past this size."""

_EXACT_ONLY = {"m": 0, "ef_construct": 16, "full_scan_threshold": 2**30, "payload_m": 0}
"""An 'index' with no graph whose filtered searches always scan the matching points exactly."""


class EdgeStore:
    """Collections as Qdrant Edge shards in one folder (one process at a time)."""

    engine = "edge"
    concurrent_reads = True  # Rust shards; each exact copy has its own lock

    def __init__(self, folder: Path, *, optimize_after: int | None = None) -> None:
        self.folder = folder
        self.optimize_after = OPTIMIZE_AFTER if optimize_after is None else optimize_after
        self._collections: list[EdgeCollection] = []
        self._existing: list[Path] = []
        self._prefetcher = Prefetcher()

    def _path(self, name: str) -> Path:
        return self.folder / EDGE_FOLDER / name

    def stored_dim(self, name: str) -> int | None:
        config_file = self._path(name) / "edge_config.json"
        if not config_file.exists():
            return None
        config = json.loads(config_file.read_text())
        return int(config["vectors"][""]["size"])

    def collection(
        self,
        name: str,
        *,
        dim: int,
        keyword_fields: Sequence[str],
        vector_index: bool,
        read_keys: Sequence[str] | None = None,
    ) -> EdgeCollection:
        path = self._path(name)
        if (path / "edge_config.json").exists():
            shard = _load(path)
            self._existing.append(path)
        else:
            path.mkdir(parents=True, exist_ok=True)
            ensure_free_space(self.folder, NEW_SHARD_BYTES, "create a collection")
            shard = _create(path, dim, keyword_fields, vector_index=vector_index)
        collection = EdgeCollection(
            shard,
            self.folder,
            optimize_after=self.optimize_after,
            exact=ExactCopy(
                dim,
                half_precision=not vector_index,
                shared_vectors=not vector_index,
                keys=read_keys,
                packed=vector_index,  # the cases: searched for whole payloads, kept as text
            ),
        )
        self._collections.append(collection)
        return collection

    def warm_up(self) -> int:
        """Read the existing collections' files into the page cache in the background."""
        return self._prefetcher.start(self._existing)

    def wait_until_warm(self) -> None:
        """Wait for the files' background read and for exact copies being built."""
        self._prefetcher.wait()
        for collection in self._collections:
            collection.exact.wait_until_built()

    def optimize(self) -> None:
        for collection in self._collections:
            collection.optimize()

    def defer_indexing(self, deferred: bool) -> None:
        for collection in self._collections:
            collection.deferred = deferred

    def close(self) -> None:
        self._prefetcher.stop()
        for collection in self._collections:
            collection.close()
        self._collections.clear()


class Prefetcher:
    """Reads shards' segment files once, in a background thread, into the OS page cache.

    Searches touch vectors, payloads and index pages at random, and a fresh process's first
    reads of them wait for the disk: at 100k cases a new process needed ~40 page reads per
    retrieve and took about twice as long as a warm one for its first thousand tasks. Reading
    the files sequentially at open moves that cost off the hot path; it takes no resident
    memory of this process (the pages belong to the page cache) and a read releases the GIL.
    Skipped where the files would take more than half the memory available: they would only
    push each other (and everyone else's) out. (`posix_fadvise(WILLNEED)` was tried first:
    Linux read only about a fifth of the files.)
    """

    CHUNK = 1 << 20

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, shards: Sequence[Path]) -> int:
        """Start reading; returns the bytes it will read (0 when skipped)."""
        files = [f for shard in shards for f in (shard / "segments").rglob("*") if f.is_file()]
        size = sum(f.stat().st_size for f in files)
        if not files or size > _available_memory() // 2:
            return 0
        self._thread = threading.Thread(
            target=self._read, args=(files,), name="memento-edge-prefetch", daemon=True
        )
        self._thread.start()
        return size

    def _read(self, files: list[Path]) -> None:
        for file in files:
            try:
                with file.open("rb", buffering=0) as stream:
                    while not self._stop.is_set() and stream.read(self.CHUNK):
                        pass
            except OSError:
                continue  # a segment file replaced by an optimization meanwhile

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        self._stop.set()
        self.wait()


def _available_memory() -> int:
    """MemAvailable from /proc/meminfo in bytes (0 where there is no /proc: no prefetch)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


NEW_SHARD_BYTES = 160 << 20
"""What a new shard may fill: its write-ahead log and payload files are mapped at ~110 MB."""
POINTS_PER_STEP = 8
"""Points converted for the engine between two moments a write lets a retrieve run
(`EdgeCollection._let_searches_in`)."""
WRITE_FLOOR_BYTES = 64 << 20
"""Free space kept for a write: the engine maps its files, and writing to a mapped page on a
full disk kills the process (SIGBUS) instead of raising an error."""


def ensure_free_space(folder: Path, needed: int, doing: str) -> None:
    """Raise CaseBankError, naming the folder and the figures, when the disk holding the bank
    has less than `needed` bytes free."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise CaseBankError(
            f"the disk holding the bank at {folder} has {free >> 20} MB free; Qdrant Edge needs "
            f"at least {needed >> 20} MB to {doing} safely: free some space or move the bank"
        )


def _load(path: Path) -> Any:
    try:
        return qe.EdgeShard.load(str(path))
    except Exception as exc:
        if "WouldBlock" in str(exc):
            raise BankInUseError(str(path.parent.parent)) from exc
        if "Read-only file system" in str(exc) or not os.access(path, os.W_OK):
            raise CaseBankError(
                f"the bank at {path.parent.parent} cannot be written (a read-only mount, or no "
                "write permission), and Qdrant Edge opens its files for writing even to read "
                "them: copy the folder somewhere writable (cp -r), or import an export of it "
                "into a Qdrant server"
            ) from exc
        raise CaseBankError(f"cannot open the Qdrant Edge shard at {path}: {exc}") from exc


def _create(path: Path, dim: int, keyword_fields: Sequence[str], *, vector_index: bool) -> Any:
    """A new shard: HNSW over vectors kept in RAM for the cases; for the visits, exact scans
    through the keyword index on `case_id`, over half-precision vectors left on disk and stored
    case by case (`case_id` is the tenant key), so a case's visits sit on a few pages.

    Measured at 100k cases with the page cache emptied, reading the 32 candidates' nearest
    visits took 8.5 ms with float32 vectors in arrival order, 4.5 ms grouped by case, 3.8 ms in
    half precision as well (about 1 ms once cached). Half precision moves a cosine by ~1e-3,
    a kernel weight by ~0.3%.

    payload_m=0 and keyword indexes without HNSW: no extra per-value graphs (with a single
    namespace such a graph would double the build for nothing).
    """
    if vector_index:
        config = qe.EdgeConfig(
            vectors=qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine),
            hnsw_config=qe.HnswIndexConfig(**HNSW_PARAMS, payload_m=0),
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=INDEXING_THRESHOLD_KB),
        )
    else:
        config = qe.EdgeConfig(
            vectors=qe.EdgeVectorParams(
                size=dim,
                distance=qe.Distance.Cosine,
                memory=qe.Memory.Cold,
                datatype=qe.VectorStorageDatatype.Float16,
            ),
            hnsw_config=qe.HnswIndexConfig(**_EXACT_ONLY),
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=VISITS_INDEXING_THRESHOLD_KB),
        )
    shard = qe.EdgeShard.create(str(path), config)
    for key in keyword_fields:
        tenant = not vector_index and key == "case_id"
        params = qe.KeywordIndexParams(enable_hnsw=False, is_tenant=tenant or None)
        shard.update(qe.UpdateOperation.create_field_index(key, params))
    return shard


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
        """Build pending indexes and flush, blocking until done."""
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

    def retrieve(self, ids: Sequence[str], *, with_vectors: bool = False) -> list[StoredPoint]:
        records = self.shard.retrieve(list(ids), with_payload=True, with_vector=with_vectors)
        return [
            StoredPoint(
                id=str(r.id), payload=r.payload or {}, vector=r.vector if with_vectors else None
            )
            for r in records
        ]

    def search(self, vector: Sequence[float], *, where: Where, limit: int) -> list[ScoredPoint]:
        found = self.exact.search(self._points, vector, where=where, limit=limit)
        if found is not None:
            return found
        hits = self.shard.query(
            qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(as_floats(vector)),
                filter=_filter(where),
                with_payload=True,
                params=qe.SearchParams(hnsw_ef=max(SEARCH_EF, limit)),
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
        for (there are no more). Only when the search came back full can a group short of
        per_group have been crowded out by the others; those few get a search of their own.
        Every search reads its groups' points through the keyword index on `key`, so the cost
        is those groups' own points, never the collection's size. A small collection is read
        from its exact copy in memory instead (`memory.exact_copy`), with the same result.
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
                limit=limit, query=query, filter=_filter(in_members), with_payload=selector
            )

        by_group: dict[str, list[GroupHit]] = {g: [] for g in groups}
        limit = per_group * len(by_group)
        hits = self.shard.query(search(list(by_group), limit))
        for hit in hits:
            found = by_group[hit.payload[key]]
            if len(found) < per_group:
                found.append(GroupHit(hit.payload, hit.score))
        short = [g for g, found in by_group.items() if len(found) < per_group]
        if len(hits) == limit and short:
            batch = self.shard.query_batch(
                qe.QueryBatchRequest([search([g], per_group) for g in short])
            )
            for group, group_hits in zip(short, batch, strict=True):
                by_group[group] = [GroupHit(h.payload, h.score) for h in group_hits]
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
        self.shard.update(qe.UpdateOperation.delete_points(list(ids)))
        self.exact.deleted(ids)
        self._written(len(ids))

    def delete_where(self, where: Where) -> None:
        self.shard.update(qe.UpdateOperation.delete_points_by_filter(_filter(where) or qe.Filter()))
        self.exact.deleted_where(where)
        self._written(1)

    def _points(self) -> tuple[int, Iterator[StoredPoint]]:
        """How many points the shard holds, and all of them with vectors (read lazily)."""
        return int(self.shard.info().points_count), self.scroll(EVERYWHERE, with_vectors=True)

    def count(self, where: Where) -> int:
        return int(self.shard.count(qe.CountRequest(exact=True, filter=_filter(where))))

    def scroll(self, where: Where, *, with_vectors: bool = False) -> Iterator[StoredPoint]:
        offset = None
        while True:
            records, offset = self.shard.scroll(
                qe.ScrollRequest(
                    offset=offset,
                    limit=SCROLL_PAGE,
                    filter=_filter(where),
                    with_payload=True,
                    with_vector=with_vectors,
                )
            )
            for r in records:
                vector = r.vector if with_vectors else None
                yield StoredPoint(id=str(r.id), payload=r.payload or {}, vector=vector)
            if offset is None:
                return


def _condition(m: FieldMatch) -> Any:
    if len(m.values) == 1:
        value = m.values[0]
        # qdrant-edge-py 0.9 reads a Python bool as the integer 0 or 1 (bool is an int), which
        # matches no boolean payload; numpy's bool is not an int, so it arrives as a boolean.
        exact = np.bool_(value) if isinstance(value, bool) else value
        return qe.FieldCondition(key=m.key, match=qe.MatchValue(exact))
    return qe.FieldCondition(key=m.key, match=qe.MatchAny(list(m.values)))


def _filter(where: Where) -> Any:
    if not where.must and not where.must_not:
        return None
    return qe.Filter(
        must=[_condition(m) for m in where.must] or None,
        must_not=[_condition(m) for m in where.must_not] or None,
    )


def _scored(point: Any) -> ScoredPoint:
    return ScoredPoint(id=str(point.id), score=float(point.score), payload=point.payload or {})
