"""Other agent memories searched on the same vectors: langchain-qdrant, LangGraph's
`InMemoryStore(index=...)` and mem0 (`infer=False`), for `benchmarks/small_banks.py`.

None of them is a dependency of Memento. Install them into a separate environment that also
sees the project's packages, e.g.

    python -m venv /tmp/memento-bench-venv
    echo "$PWD/.venv/lib/python3.11/site-packages" \\
        > /tmp/memento-bench-venv/lib/python3.11/site-packages/memento.pth
    /tmp/memento-bench-venv/bin/pip install langchain-qdrant mem0ai

and run the benchmark with that interpreter. A competitor that is not importable is skipped
with a line saying so. Each gets the same unit vectors through an `Embeddings` that looks the
text up (no model runs), and answers the same top-N query by vector; none of them scores Q.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

Search = Callable[[np.ndarray], list[str]]
"""Top-N ids for a query vector."""


class LookupEmbeddings(Embeddings):
    """The precomputed vector of each text: every competitor embeds through this."""

    def __init__(self) -> None:
        self.vectors: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]

    def query_text(self, vector: np.ndarray) -> str:
        """A text standing for a query vector (registered for the lookup)."""
        text = f"query {hash(vector.tobytes())}"
        self.vectors[text] = vector.tolist()
        return text


@dataclass(frozen=True)
class Competitor:
    name: str
    module: str
    install: str
    build: Callable[[list[str], np.ndarray, int, str], Search]
    max_cases: int | None = None
    """Largest bank it is loaded with here (its inserts are one at a time); None: any."""

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


def _texts(ids: list[str], embeddings: LookupEmbeddings, vectors: np.ndarray) -> list[str]:
    texts = [f"case {i}" for i in ids]
    embeddings.vectors.update(zip(texts, vectors.tolist(), strict=True))
    return texts


def langchain_qdrant(ids: list[str], vectors: np.ndarray, limit: int, folder: str) -> Search:
    """`QdrantVectorStore` over qdrant-client's in-memory store (its usual quick start)."""
    from langchain_qdrant import QdrantVectorStore
    from qdrant_client import QdrantClient
    from qdrant_client.models import Distance, VectorParams

    embeddings = LookupEmbeddings()
    texts = _texts(ids, embeddings, vectors)
    embeddings.vectors["dummy_text"] = texts and embeddings.vectors[texts[0]]  # its size probe
    client = QdrantClient(":memory:")
    client.create_collection("cases", VectorParams(size=vectors.shape[1], distance=Distance.COSINE))
    store = QdrantVectorStore(client=client, collection_name="cases", embedding=embeddings)
    for start in range(0, len(texts), 1_000):
        store.add_texts(texts[start : start + 1_000], metadatas=[{"case_id": i} for i in
                        ids[start : start + 1_000]])  # fmt: skip

    def search(query: np.ndarray) -> list[str]:
        found = store.similarity_search_with_score_by_vector(query.tolist(), k=limit)
        return [doc.metadata["case_id"] for doc, _ in found]

    return search


def langgraph_in_memory_store(
    ids: list[str], vectors: np.ndarray, limit: int, folder: str
) -> Search:
    """LangGraph's `InMemoryStore(index=...)`, the store a graph's runtime offers."""
    from langgraph.store.memory import InMemoryStore

    embeddings = LookupEmbeddings()
    store = InMemoryStore(index={"dims": vectors.shape[1], "embed": embeddings, "fields": ["text"]})
    texts = _texts(ids, embeddings, vectors)
    for case_id, text in zip(ids, texts, strict=True):
        store.put(("cases",), case_id, {"text": text})

    def search(query: np.ndarray) -> list[str]:
        found = store.search(("cases",), query=embeddings.query_text(query), limit=limit)
        return [item.key for item in found]

    return search


def mem0(ids: list[str], vectors: np.ndarray, limit: int, folder: str) -> Search:
    """mem0's `Memory` with `add(..., infer=False)` (no LLM), its default Qdrant store on disk."""
    os.environ.setdefault("MEM0_TELEMETRY", "false")
    os.environ.setdefault("OPENAI_API_KEY", "not-used")  # the LLM is built, never called
    from mem0 import Memory

    embeddings = LookupEmbeddings()
    memory = Memory.from_config({
        "embedder": {"provider": "langchain", "config": {"model": embeddings,
                                                          "embedding_dims": vectors.shape[1]}},
        "vector_store": {"provider": "qdrant", "config": {
            "collection_name": "cases", "embedding_model_dims": vectors.shape[1],
            "path": os.path.join(folder, "mem0-qdrant"), "on_disk": False}},
        "history_db_path": os.path.join(folder, "mem0-history.db"),
    })  # fmt: skip
    texts = _texts(ids, embeddings, vectors)
    for case_id, text in zip(ids, texts, strict=True):
        memory.add([{"role": "user", "content": text}], user_id="bench", infer=False,
                   metadata={"case_id": case_id})  # fmt: skip

    def search(query: np.ndarray) -> list[str]:
        found = memory.search(embeddings.query_text(query), top_k=limit,
                              filters={"user_id": "bench"}, threshold=0.0)  # fmt: skip
        return [r["metadata"]["case_id"] for r in found["results"]]

    return search


COMPETITORS = (
    Competitor(
        "langchain_qdrant", "langchain_qdrant", "pip install langchain-qdrant", langchain_qdrant
    ),
    Competitor(
        "langgraph_inmemorystore", "langgraph", "pip install langgraph", langgraph_in_memory_store
    ),
    Competitor("mem0", "mem0", "pip install mem0ai", mem0, max_cases=10_000),
)


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="memento-competitors-")
