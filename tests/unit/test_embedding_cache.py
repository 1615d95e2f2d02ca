"""The cached embedder embeds each distinct text once and gives back the same vectors."""

from __future__ import annotations

import pytest

from memory.embeddings.cache import CachedEmbedder
from memory.embeddings.embedders import embedding_dim
from tests.fakes import HashingEmbedder


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(dim=8)
        self.seen: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.seen.extend(texts)
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.seen.append(text)
        return super().embed_query(text)


def test_a_repeated_query_is_embedded_once_with_the_same_vector() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    first = cached.embed_query("What is 2 + 2?")
    first.append(99.0)  # a caller changing its copy changes nothing in the cache
    again = cached.embed_query("What is 2 + 2?")
    assert again == inner.embed_query("What is 2 + 2?")
    assert inner.seen == ["What is 2 + 2?", "What is 2 + 2?"]  # the second is this test's call
    assert (cached.hits, cached.misses) == (1, 1)


def test_documents_embed_only_the_texts_not_seen_and_keep_the_order() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    cached.embed_documents(["a", "b"])
    vectors = cached.embed_documents(["c", "a", "c", "b"])
    assert inner.seen == ["a", "b", "c"]
    assert vectors == HashingEmbedder(dim=8).embed_documents(["c", "a", "c", "b"])


def test_queries_and_documents_are_cached_apart() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    cached.embed_query("x")
    cached.embed_documents(["x"])
    assert inner.seen == ["x", "x"]


def test_the_least_recently_used_text_is_forgotten_first() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, max_texts=2)
    for text in ("a", "b", "a", "c", "a", "b"):
        cached.embed_query(text)
    assert inner.seen == ["a", "b", "c", "b"]


async def test_the_async_calls_share_the_cache() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    assert await cached.aembed_query("q") == cached.embed_query("q")
    assert await cached.aembed_documents(["d", "d"]) == cached.embed_documents(["d"]) * 2
    assert inner.seen == ["q", "d"]


def test_the_dimension_comes_from_the_inner_embedder() -> None:
    assert embedding_dim(CachedEmbedder(HashingEmbedder(dim=8))) == 8
    with pytest.raises(ValueError, match="max_texts"):
        CachedEmbedder(HashingEmbedder(dim=8), max_texts=0)


def test_load_reaches_a_local_model_and_leaves_an_endpoint_alone() -> None:
    class LocalModel(HashingEmbedder):
        loads = 0

        def load(self) -> None:
            self.loads += 1

    local = LocalModel(dim=8)
    CachedEmbedder(local).load()
    assert local.loads == 1
    CachedEmbedder(HashingEmbedder(dim=8)).load()  # no load(): nothing to do, no call made
