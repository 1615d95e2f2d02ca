"""The Qdrant Edge engine: Qdrant's in-process shard, with HNSW and payload indexes, in a folder.

Each collection is one Edge shard under `<folder>/edge/<name>`. Searches are exact over points
not yet indexed and use HNSW over indexed ones, so a search is correct before any index exists
and fast after. Building the index is Qdrant Edge's explicit, blocking `optimize()`; the bank
runs it in a background thread once `optimize_after` points are waiting, and on demand
(`CaseBank.optimize()`, e.g. after a bulk import).

One caveat, measured with qdrant-edge-py 0.9: `optimize()` holds the GIL while it runs, so the
rest of the process pauses for its duration (a few seconds per 10k waiting points on 2 cores)
even though it is called from another thread. So a collection small enough to be searched from
its exact copy in memory (`memory.engines.exact_copy`: up to 65k cases of 384 dimensions; the visits
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
import shutil
from collections.abc import Sequence
from pathlib import Path

from memory.engines.edge_collection import EdgeCollection
from memory.engines.edge_prefetch import Prefetcher
from memory.engines.edge_shards import NEW_SHARD_BYTES, create_shard, ensure_free_space, load_shard
from memory.engines.exact_copy import ExactCopy
from memory.engines.protocol import EDGE_FOLDER

OPTIMIZE_AFTER = 10_000
"""Points not yet in an optimized segment that start a background build (exact search over
10k cases takes ~1 ms; the build of 10k cases pauses the process for a few seconds)."""


class EdgeStore:
    """Collections as Qdrant Edge shards in one folder (one process at a time)."""

    engine = "edge"
    concurrent_reads = True  # Rust shards; each exact copy has its own lock

    def __init__(self, folder: Path, *, optimize_after: int | None = None) -> None:
        self.folder = folder
        self.optimize_after = OPTIMIZE_AFTER if optimize_after is None else optimize_after
        self._collections: list[EdgeCollection] = []
        self._existing: list[Path] = []
        self._paths: dict[int, Path] = {}  # each open collection's shard folder
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
            shard = load_shard(path)
            self._existing.append(path)
        else:
            path.mkdir(parents=True, exist_ok=True)
            ensure_free_space(self.folder, NEW_SHARD_BYTES, "create a collection")
            shard = create_shard(path, dim, keyword_fields, vector_index=vector_index)
        collection = EdgeCollection(
            shard,
            self.folder,
            optimize_after=self.optimize_after,
            exact=ExactCopy(
                dim,
                half_precision=not vector_index,
                keys=read_keys,
                packed=vector_index,  # the cases: searched for whole payloads, kept as text
            ),
        )
        self._collections.append(collection)
        self._paths[id(collection)] = path
        return collection

    def drop(self, name: str) -> None:
        path = self._path(name)
        for collection in [c for c in self._collections if self._paths.get(id(c)) == path]:
            collection.close()
            self._collections.remove(collection)
        self._existing = [p for p in self._existing if p != path]
        shutil.rmtree(path, ignore_errors=True)

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
