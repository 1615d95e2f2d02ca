"""Memento: an LLM agent that learns from its own cases, without fine-tuning.

The front door: everything a LangChain user needs to embed the loop, the case bank or the
settings in their own app.

    from memento import MementoContext, build_graph, open_resources, load_settings
    from memento import CaseBankRetriever, MementoMiddleware   # LangChain surfaces
"""

from graphs import InputState, MementoContext, State, build_graph
from graphs.resources import default_embedder, open_resources
from graphs.settings import ConfigError, MementoSettings, load_settings
from memento.middleware import MementoMiddleware
from memory import Case, CaseBank, CaseBankRetriever, KernelQ, ParametricQ, SimilarityQ
from nodes import MementoDeps, ModelEndpointError

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
    "ModelEndpointError",
    "ParametricQ",
    "SimilarityQ",
    "State",
    "build_graph",
    "default_embedder",
    "load_settings",
    "open_resources",
]
