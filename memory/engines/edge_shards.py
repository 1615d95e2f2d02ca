"""Qdrant Edge shards on disk: how one is created for cases or visits, opened, and kept from
filling the disk, and how a filter reads in the engine's terms."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from memory.engines.protocol import FieldMatch, Where
from memory.errors import BankInUseError, CaseBankError

HNSW_PARAMS = {"m": 16, "ef_construct": 100, "full_scan_threshold": 10_000}
"""HNSW of the cases: Qdrant's defaults; full_scan_threshold (KB) is where search goes exact."""

INDEXING_THRESHOLD_KB: int | None = None
"""A case segment larger than this gets an HNSW index when optimized (None: Qdrant's default)."""

STEPS_INDEXING_THRESHOLD_KB = 1_000
"""Step segments are optimized into immutable, memory-mapped ones (no graph) past this size."""

MAX_SEGMENT_KB = 200_000
"""Largest segment an optimize builds (KB of original vectors: ~130k cases or ~260k steps of
384 d). Unbounded, index builds merged the collection into ever larger segments, so a build's
memory and time grew with the bank (at 200k tasks grown in tenths, the tenth's build took 9 s
at 20k and 96 s at 200k; at 1M the grower's peak RSS reached 5.8 GB); bounded, a build
rewrites at most one such segment (at 1M: 29-63 s a tenth, peak RSS 5.4 GB, and the growth
completes inside a 4 GiB memory cgroup; benchmarks/README.md, "Growth per task")."""

CASE_QUANTIZATION = qe.ScalarQuantizationConfig(
    type=qe.ScalarType.Int8, quantile=0.99, memory=qe.Memory.Pinned
)
"""Case vectors kept in RAM as int8 (a quarter of float32), the originals left on disk and read
only to rescore a search's best candidates (`RESCORE`), so scores stay exact."""

RESCORE = qe.QuantizationSearchParams(rescore=True, oversampling=2.0)
"""A case search ranks by the int8 copies, then rescores twice the limit by the float32 vectors
on disk: scores are exact cosines (Edge does not rescore unless asked). Recall of the exact
top 32: 1.0 at 200k cases (0.96 without rescoring), 0.998 at 1M (`benchmarks.bank_scale`)."""

_EXACT_ONLY = {"m": 0, "ef_construct": 16, "full_scan_threshold": 2**30, "payload_m": 0}
"""An 'index' with no graph whose filtered searches always scan the matching points exactly."""

NEW_SHARD_BYTES = 160 << 20
"""What a new shard may fill: its write-ahead log and payload files are mapped at ~110 MB."""
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


LOAD_MARGIN_BYTES = 4 << 20
"""Room kept beside what opening a shard on tmpfs allocates (`space_to_open`)."""
_READ_ONLY_ON_LOAD = ("wal", "payload_storage")  # touched only as far as they are written
_OCTAL = re.compile(r"\\([0-7]{3})")  # the mount table writes a space in a path as \040


def space_to_open(path: Path) -> int:
    """Bytes that opening the shard at `path` may allocate on its disk.

    Qdrant Edge maps its files and reads some of them whole when it loads a shard (the vectors
    it keeps in memory, the payload indexes' maps), holes included. On most filesystems a hole
    read through a mapping costs nothing; on tmpfs it allocates a page, and with the disk full
    the process dies of SIGBUS while merely opening the bank (measured: a 20-case bank touched
    63 MB of holes; `cases list` died with 40 MB free). So on tmpfs this is the size of those
    holes, and 0 elsewhere.
    """
    if _filesystem(path) != "tmpfs":
        return 0
    holes = 0
    for file in path.rglob("*"):
        if file.is_file() and not set(_READ_ONLY_ON_LOAD) & set(file.relative_to(path).parts):
            info = file.stat()
            holes += max(0, info.st_size - info.st_blocks * 512)
    return holes


def _filesystem(path: Path) -> str | None:
    """The type of the filesystem holding `path` (Linux's mount table; None elsewhere)."""
    real, found, longest = os.path.realpath(path), None, -1
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        before, _, after = line.partition(" - ")
        point = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), before.split()[4])
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) > longest:
            found, longest = after.split()[0], len(point)
    return found


def load_shard(path: Path) -> Any:
    needed = space_to_open(path)
    if needed:
        ensure_free_space(path.parent.parent, needed + LOAD_MARGIN_BYTES, "open it")
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


def create_shard(path: Path, dim: int, keyword_fields: Sequence[str], *, vector_index: bool) -> Any:
    """A new shard: for the cases, HNSW over int8 copies kept in RAM with the float32 vectors
    on disk for rescoring; for the steps of credit, exact scans through the keyword index on
    `read` (a list: a step is found from each case it read), over half-precision vectors left
    on disk. Both in segments of at most MAX_SEGMENT_KB.

    Measured at 200k tasks grown in tenths (`benchmarks.bank_growth`'s path): peak RSS 2.45 GB
    with float32 case vectors in RAM and unbounded segments, 1.76 GB with int8 copies in RAM
    and segments bounded at 50 MB; recall of the exact top 32 over 11 segments 1.0 with
    rescoring (0.96, and scores off by the quantization's error, without).

    Measured at 100k cases with the page cache emptied (on the visits steps replaced, a point
    per case read), reading the 32 candidates' nearest visits took 8.5 ms with float32 vectors
    in arrival order, 4.5 ms grouped by case (`case_id` as the tenant key), 3.8 ms in half
    precision as well (about 1 ms once cached). Half precision moves a cosine by ~1e-3, a
    kernel weight by ~0.3%. Steps are stored in arrival order (a step belongs to several
    cases, so none is its tenant), a quarter of the points visits were.

    payload_m=0 and keyword indexes without HNSW: no extra per-value graphs (with a single
    namespace such a graph would double the build for nothing).
    """
    if vector_index:
        config = qe.EdgeConfig(
            vectors=qe.EdgeVectorParams(
                size=dim,
                distance=qe.Distance.Cosine,
                memory=qe.Memory.Cold,
                quantization_config=CASE_QUANTIZATION,
            ),
            hnsw_config=qe.HnswIndexConfig(**HNSW_PARAMS, payload_m=0),
            optimizers=qe.EdgeOptimizersConfig(
                indexing_threshold=INDEXING_THRESHOLD_KB, max_segment_size=MAX_SEGMENT_KB
            ),
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
            optimizers=qe.EdgeOptimizersConfig(
                indexing_threshold=STEPS_INDEXING_THRESHOLD_KB, max_segment_size=MAX_SEGMENT_KB
            ),
        )
    shard = qe.EdgeShard.create(str(path), config)
    for key in keyword_fields:
        params = qe.KeywordIndexParams(enable_hnsw=False)
        shard.update(qe.UpdateOperation.create_field_index(key, params))
    return shard


def _condition(m: FieldMatch) -> Any:
    if len(m.values) == 1:
        value = m.values[0]
        # qdrant-edge-py 0.9 reads a Python bool as the integer 0 or 1 (bool is an int), which
        # matches no boolean payload; numpy's bool is not an int, so it arrives as a boolean.
        exact = np.bool_(value) if isinstance(value, bool) else value
        return qe.FieldCondition(key=m.key, match=qe.MatchValue(exact))
    return qe.FieldCondition(key=m.key, match=qe.MatchAny(list(m.values)))


def edge_filter(where: Where) -> Any:
    if not where.must and not where.must_not:
        return None
    return qe.Filter(
        must=[_condition(m) for m in where.must] or None,
        must_not=[_condition(m) for m in where.must_not] or None,
    )
