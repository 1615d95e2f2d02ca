"""Which engine a store location names, and opening it: the one place that builds engines.

':memory:' is qdrant-client in memory; 'http(s)://...' a Qdrant server; 'edge://PATH' Qdrant
Edge; 'local://PATH' Qdrant's local mode; a plain folder keeps the engine it was created with.
The engines know nothing of this module: it sits above them and imports each only when a
location needs it (qdrant-client takes ~0.5 s to import, and the default bank never needs it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from memory.engines.protocol import EDGE_FOLDER, Engine, VectorStore
from memory.errors import CaseBankError

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

EDGE_SCHEME = "edge://"
LOCAL_SCHEME = "local://"


def engine_for(location: str) -> Engine:
    """Which engine a store location names.

    ':memory:' is qdrant-client in memory; 'http(s)://...' a Qdrant server; 'edge://PATH' Qdrant
    Edge; 'local://PATH' Qdrant's local mode. A plain folder keeps the engine it was created
    with (Qdrant local mode leaves a meta.json, Qdrant Edge an 'edge' subfolder), and a new or
    empty folder gets Qdrant Edge, the default (see benchmarks/README.md for why).
    """
    if location == ":memory:":
        return "memory"
    if location.startswith(("http://", "https://")):
        return "server"
    if location.startswith(EDGE_SCHEME):
        return "edge"
    if location.startswith(LOCAL_SCHEME):
        return "local"
    folder = Path(location).expanduser()
    if (folder / "meta.json").exists():
        return "local"
    if (folder / EDGE_FOLDER).is_dir():
        return "edge"
    return "edge" if edge_available() else "local"


def folder_of(location: str) -> Path | None:
    """The folder an embedded store lives in; None for ':memory:' and servers."""
    engine = engine_for(location)
    if engine in ("memory", "server"):
        return None
    for scheme in (EDGE_SCHEME, LOCAL_SCHEME):
        if location.startswith(scheme):
            return Path(location[len(scheme) :]).expanduser()
    return Path(location).expanduser()


def edge_available() -> bool:
    """Whether Qdrant Edge (the `qdrant-edge-py` package) can be imported here."""
    try:
        import qdrant_edge  # noqa: F401
    except ImportError:
        return False
    return True


def open_store(location: str, *, create: bool) -> VectorStore:
    """The engine for a location, its folder made first when `create` (a new bank).

    A bank in a folder is shared by the processes of this machine (`memory.engines.sharing`):
    the first to open it holds it and serves it to the others, which reach it through the
    holder; `MEMENTO_SHARE_BANK=0` keeps each folder to one process.
    """
    engine = engine_for(location)
    folder = folder_of(location)
    if folder is None:
        return _open_engine(engine, location, None, create)
    folder = _existing_or_new(folder, create)
    if _shared(folder, create):
        from memory.engines.remote import open_shared

        return open_shared(folder, lambda: _open_engine(engine, location, folder, create))
    return _open_engine(engine, location, folder, create)


def _shared(folder: Path, create: bool) -> bool:
    """Whether to share this folder: sharing is on, and it holds a bank or is to hold one
    (a folder that is neither is left without a lock file in it)."""
    from memory.engines.sharing import sharing_enabled

    if not sharing_enabled() or not folder.is_dir():
        return False
    return create or (folder / EDGE_FOLDER).is_dir() or (folder / "meta.json").exists()


def _open_engine(engine: Engine, location: str, folder: Path | None, create: bool) -> VectorStore:
    if engine == "edge":
        from memory.engines.edge import EdgeStore

        assert folder is not None
        return EdgeStore(folder)
    from memory.engines.qdrant import QdrantStore, open_qdrant

    return QdrantStore(open_qdrant(str(folder) if folder is not None else location), engine=engine)


def _existing_or_new(folder: Path | None, create: bool) -> Path:
    assert folder is not None
    if folder.exists() and not folder.is_dir():
        raise CaseBankError(
            f"the store {str(folder)!r} is a file, not a bank's folder: give a folder (new or "
            "holding a bank), ':memory:' or a Qdrant server URL"
        )
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CaseBankError(f"cannot create the bank's folder {str(folder)!r}: {exc}") from None
    return folder


def store_for_client(client: QdrantClient, location: str) -> VectorStore:
    """A store over a qdrant-client the caller brings (the location is then only a label)."""
    from memory.engines.qdrant import QdrantStore, is_embedded

    engine: Engine = "server"
    if is_embedded(client):
        engine = "memory" if location == ":memory:" else "local"
    return QdrantStore(client, engine=engine)
