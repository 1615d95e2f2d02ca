"""Memento: an LLM agent that learns from its own cases, without fine-tuning.

The front door: everything a LangChain user needs to embed the loop, the case bank or the
settings in their own app.

    from memento import MementoContext, build_graph, open_resources, load_settings
    from memento import open_resources_sync                     # the same, for sync apps
    from memento import CaseBankRetriever, MementoMiddleware   # LangChain surfaces
    from memento import MementoStore                            # the bank as a LangGraph store

Names are imported on first use (PEP 562): `memento --help`, `memento cases list` and the local
model server (`python -m memento.llama_server`) load this package too, and must not wait for
LangGraph, LangChain, OpenAI and Qdrant when they do not use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from graphs import InputState, MementoContext, Output, State, build_graph
    from graphs.resources import default_embedder, open_resources, open_resources_sync
    from graphs.settings import ConfigError, MementoSettings, load_settings
    from memento.middleware import MementoMiddleware
    from memory import Case, CaseBank, CaseBankRetriever, KernelQ, ParametricQ, SimilarityQ
    from memory.adapters.langgraph_store import MementoStore
    from nodes import MementoDeps, ModelEndpointError

_HOMES = {
    "Case": "memory",
    "CaseBank": "memory",
    "CaseBankRetriever": "memory",
    "ConfigError": "graphs.settings",
    "InputState": "graphs",
    "KernelQ": "memory",
    "MementoContext": "graphs",
    "MementoDeps": "nodes",
    "MementoMiddleware": "memento.middleware",
    "MementoSettings": "graphs.settings",
    "MementoStore": "memory.adapters.langgraph_store",
    "ModelEndpointError": "nodes",
    "Output": "graphs",
    "ParametricQ": "memory",
    "SimilarityQ": "memory",
    "State": "graphs",
    "build_graph": "graphs",
    "default_embedder": "graphs.resources",
    "load_settings": "graphs.settings",
    "open_resources": "graphs.resources",
    "open_resources_sync": "graphs.resources",
}

__all__ = [
    "Case",
    "CaseBank",
    "CaseBankRetriever",
    "ConfigError",
    "InputState",
    "KernelQ",
    "MementoContext",
    "MementoDeps",
    "MementoMiddleware",
    "MementoSettings",
    "MementoStore",
    "ModelEndpointError",
    "Output",
    "ParametricQ",
    "SimilarityQ",
    "State",
    "build_graph",
    "default_embedder",
    "load_settings",
    "open_resources",
    "open_resources_sync",
]

__getattr__ = lazy_exports(__name__, _HOMES)
