"""An embedder that embeds a text once per run: repeated texts get the vector computed before.

A run embeds the task in `retrieve` and reuses that vector in `write_case` and `update_q`; an
evaluation, though, asks the same questions round after round (the paper's protocol), and one
MiniLM query costs more than the whole retrieve (issue 18). `CachedEmbedder` wraps any LangChain
`Embeddings` with a bounded least-recently-used map from text to vector, kept apart for queries
and documents (some models embed them differently). `benchmarks/embedding_share.py` measures it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from langchain_core.embeddings import Embeddings

from memory.embeddings.embedders import warm_up

DEFAULT_MAX_TEXTS = 4096
"""~6 MB of 384-d vectors as Python floats: every question of a few evaluation rounds."""

Key = tuple[str, str]


class CachedEmbedder(Embeddings):
    """`inner`, with each distinct text embedded once (up to `max_texts` remembered)."""

    def __init__(self, inner: Embeddings, *, max_texts: int = DEFAULT_MAX_TEXTS) -> None:
        if max_texts < 1:
            raise ValueError(f"max_texts must be at least 1, got {max_texts}")
        self.inner = inner
        self.max_texts = max_texts
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[Key, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int | None:
        """The inner embedder's `dim`, if it declares one (see `embedding_dim`)."""
        dim = getattr(self.inner, "dim", None)
        return dim if isinstance(dim, int) else None

    def load(self) -> None:
        """Load the inner embedder's model now, if it is a local one that can (see `warm_up`)."""
        warm_up(self.inner)

    def embed_query(self, text: str) -> list[float]:
        found = self._cached([("query", text)])
        if found[0] is not None:
            return list(found[0])
        return self._store([("query", text)], [self.inner.embed_query(text)])[0]

    async def aembed_query(self, text: str) -> list[float]:
        found = self._cached([("query", text)])
        if found[0] is not None:
            return list(found[0])
        return self._store([("query", text)], [await self.inner.aembed_query(text)])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys, found, missing = self._lookup(texts)
        vectors = self.inner.embed_documents([keys[i][1] for i in missing]) if missing else []
        return self._merge(keys, found, missing, vectors)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        keys, found, missing = self._lookup(texts)
        embed: Callable[[list[str]], Awaitable[list[list[float]]]] = self.inner.aembed_documents
        vectors = await embed([keys[i][1] for i in missing]) if missing else []
        return self._merge(keys, found, missing, vectors)

    def _lookup(
        self, texts: list[str]
    ) -> tuple[list[Key], list[tuple[float, ...] | None], list[int]]:
        """Keys, what is cached, and the positions of the first occurrence of each miss."""
        keys = [("document", text) for text in texts]
        found = self._cached(keys)
        first: dict[Key, int] = {}
        for i, key in enumerate(keys):
            if found[i] is None:
                first.setdefault(key, i)
        return keys, found, list(first.values())

    def _merge(
        self,
        keys: list[Key],
        found: list[tuple[float, ...] | None],
        missing: list[int],
        vectors: list[list[float]],
    ) -> list[list[float]]:
        new = dict(zip([keys[i] for i in missing], self._store([keys[i] for i in missing],
                                                                vectors), strict=True))  # fmt: skip
        return [list(f) if f is not None else list(new[keys[i]]) for i, f in enumerate(found)]

    def _cached(self, keys: list[Key]) -> list[tuple[float, ...] | None]:
        with self._lock:
            found = [self._vectors.get(key) for key in keys]
            for key, vector in zip(keys, found, strict=True):
                if vector is not None:
                    self._vectors.move_to_end(key)
                    self.hits += 1
        return found

    def _store(self, keys: list[Key], vectors: list[list[float]]) -> list[list[float]]:
        with self._lock:
            for key, vector in zip(keys, vectors, strict=True):
                self._vectors[key] = tuple(vector)
                self._vectors.move_to_end(key)
                self.misses += 1
            while len(self._vectors) > self.max_texts:
                self._vectors.popitem(last=False)
        return [list(vector) for vector in vectors]
