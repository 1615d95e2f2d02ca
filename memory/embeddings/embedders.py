"""Embedders: any LangChain `Embeddings`; helpers to size and call them."""

from __future__ import annotations

import os

import numpy as np
from langchain_core.embeddings import Embeddings


def embedding_dim(embedder: Embeddings) -> int:
    """The embedder's vector size: its `dim` attribute if it has one, else from one probe call."""
    dim = getattr(embedder, "dim", None)
    if isinstance(dim, int):
        return dim
    return len(embedder.embed_query("dimension probe"))


def warm_up(embedder: Embeddings) -> None:
    """Load a local embedder's model now, if it has a `load()`; an endpoint is left alone.

    Loading MiniLM takes ~0.4 s; a run overlaps it with starting its MCP servers instead of
    paying it at the first retrieve.
    """
    load = getattr(embedder, "load", None)
    if callable(load):
        load()


def as_unit_vector(vector: list[float]) -> np.ndarray:
    """The vector scaled to length one, so dot products are cosines."""
    v = np.asarray(vector, dtype=np.float64)
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def openai_embeddings(
    model: str,
    *,
    base_url: str | None,
    api_key_env: str,
    timeout_s: float,
    max_retries: int,
) -> Embeddings:
    """An OpenAI-compatible embeddings endpoint through langchain-openai, with a timeout per
    call (an endpoint that hangs must not hold a run forever)."""
    from langchain_openai import OpenAIEmbeddings

    return OpenAIEmbeddings(
        model=model,
        base_url=base_url,
        api_key=os.environ.get(api_key_env) or "not-needed",  # type: ignore[arg-type]
        check_embedding_ctx_length=False,
        timeout=timeout_s,
        max_retries=max_retries,
    )
