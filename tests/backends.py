"""The case-bank engines every bank test runs on, and a store location for each."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENGINES = ("memory", "local", "edge")
"""qdrant-client in memory, Qdrant's local mode in a folder, Qdrant Edge in a folder."""

_RAM_DISK = Path("/dev/shm")


def store_location(engine: str, folder: Path) -> str:
    """A fresh store location of the given engine (folders under `folder`)."""
    if engine == "memory":
        return ":memory:"
    return f"{engine}://{folder / 'bank'}"


@contextmanager
def scratch_folder(fallback: Path) -> Iterator[Path]:
    """A folder in RAM where there is one, else `fallback`.

    Opening an Edge shard costs a few fsyncs; on a busy shared disk they take ~0.1 s each, which
    would make the contract tests slow without testing anything the tests are about.
    """
    if not (_RAM_DISK.is_dir() and os.access(_RAM_DISK, os.W_OK)):
        yield fallback
        return
    folder = Path(tempfile.mkdtemp(prefix="memento-test-", dir=_RAM_DISK))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
