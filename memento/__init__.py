"""Memento: an LLM agent that learns from its own cases, without fine-tuning.

The front door: everything a LangChain user needs to embed the loop, the case bank or the
settings in their own app.

    from memento import MementoContext, build_graph, open_resources, load_settings
"""

from graphs import InputState, MementoContext, State, build_graph
from graphs.resources import default_embedder, open_resources
from graphs.settings import ConfigError, MementoSettings, load_settings
from memory import Case, CaseBank, KernelQ, ParametricQ, SimilarityQ
from nodes import MementoDeps, ModelEndpointError

__all__ = [
    "Case",
    "CaseBank",
    "ConfigError",
    "InputState",
    "KernelQ",
    "MementoContext",
    "MementoDeps",
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
