"""Embedders: any LangChain `Embeddings`; the default offline MiniLM (ONNX, no torch, nothing
fetched at run time); an OpenAI-compatible endpoint; a per-run cache so a task is embedded once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from memory.embeddings.cache import CachedEmbedder
    from memory.embeddings.embedders import (
        as_unit_vector,
        embedding_dim,
        openai_embeddings,
        warm_up,
    )
    from memory.embeddings.minilm import EmbedderUnavailableError, MiniLMEmbedder

_HOMES = {
    "CachedEmbedder": "memory.embeddings.cache",
    "EmbedderUnavailableError": "memory.embeddings.minilm",
    "MiniLMEmbedder": "memory.embeddings.minilm",
    "as_unit_vector": "memory.embeddings.embedders",
    "embedding_dim": "memory.embeddings.embedders",
    "openai_embeddings": "memory.embeddings.embedders",
    "warm_up": "memory.embeddings.embedders",
}

__all__ = [
    "CachedEmbedder",
    "EmbedderUnavailableError",
    "MiniLMEmbedder",
    "as_unit_vector",
    "embedding_dim",
    "openai_embeddings",
    "warm_up",
]

__getattr__ = lazy_exports(__name__, _HOMES)
