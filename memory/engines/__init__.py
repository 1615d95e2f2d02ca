"""Vector engines behind one small interface: Qdrant Edge in a folder (the default),
qdrant-client (in memory, Qdrant's local mode, a Qdrant server), and the exact copy in memory
that serves a small collection's searches.

`protocol` is what the bank speaks (collections, filters, results); `locations` names the engine
a store location means and opens it, the one place that builds engines; each engine is a sibling
module that imports the protocol, never the other way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from memory.engines.edge import EdgeStore
    from memory.engines.exact_copy import ExactCopy
    from memory.engines.exact_index import ExactIndex
    from memory.engines.locations import (
        EDGE_SCHEME,
        LOCAL_SCHEME,
        edge_available,
        engine_for,
        folder_of,
        open_store,
        store_for_client,
    )
    from memory.engines.protocol import (
        EDGE_FOLDER,
        EVERYWHERE,
        Collection,
        Engine,
        FieldMatch,
        GroupHit,
        GroupValues,
        PackedPayload,
        ScoredPoint,
        StoredPoint,
        ValueOf,
        VectorStore,
        Where,
        as_floats,
        match,
        unpacked,
    )
    from memory.engines.qdrant import QdrantStore, open_qdrant

_HOMES = {
    "Collection": "memory.engines.protocol",
    "EDGE_FOLDER": "memory.engines.protocol",
    "EDGE_SCHEME": "memory.engines.locations",
    "EVERYWHERE": "memory.engines.protocol",
    "EdgeStore": "memory.engines.edge",
    "Engine": "memory.engines.protocol",
    "ExactCopy": "memory.engines.exact_copy",
    "ExactIndex": "memory.engines.exact_index",
    "FieldMatch": "memory.engines.protocol",
    "GroupHit": "memory.engines.protocol",
    "GroupValues": "memory.engines.protocol",
    "LOCAL_SCHEME": "memory.engines.locations",
    "PackedPayload": "memory.engines.protocol",
    "QdrantStore": "memory.engines.qdrant",
    "ScoredPoint": "memory.engines.protocol",
    "StoredPoint": "memory.engines.protocol",
    "ValueOf": "memory.engines.protocol",
    "VectorStore": "memory.engines.protocol",
    "Where": "memory.engines.protocol",
    "as_floats": "memory.engines.protocol",
    "edge_available": "memory.engines.locations",
    "engine_for": "memory.engines.locations",
    "folder_of": "memory.engines.locations",
    "match": "memory.engines.protocol",
    "open_qdrant": "memory.engines.qdrant",
    "open_store": "memory.engines.locations",
    "store_for_client": "memory.engines.locations",
    "unpacked": "memory.engines.protocol",
}

__all__ = [
    "EDGE_FOLDER",
    "EDGE_SCHEME",
    "EVERYWHERE",
    "LOCAL_SCHEME",
    "Collection",
    "EdgeStore",
    "Engine",
    "ExactCopy",
    "ExactIndex",
    "FieldMatch",
    "GroupHit",
    "GroupValues",
    "PackedPayload",
    "QdrantStore",
    "ScoredPoint",
    "StoredPoint",
    "ValueOf",
    "VectorStore",
    "Where",
    "as_floats",
    "edge_available",
    "engine_for",
    "folder_of",
    "match",
    "open_qdrant",
    "open_store",
    "store_for_client",
    "unpacked",
]

__getattr__ = lazy_exports(__name__, _HOMES)
