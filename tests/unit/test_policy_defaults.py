"""Every surface that reads cases starts from the policy's defaults (`memory.policy.defaults`):
the graph's context, the LangChain retriever, the agent middleware and `memento cases why`. A
literal copied into one of them drifts when the default is chosen again (the similarity floor
went from 0.3 to 0.2 on the learning suite, issue 25)."""

from __future__ import annotations

import inspect

from memento.middleware import MementoMiddleware
from memory.adapters.retriever import CaseBankRetriever
from memory.care import explain
from memory.policy import defaults
from nodes.context import MementoContext


def _default(function: object, name: str) -> object:
    return inspect.signature(function).parameters[name].default


def test_every_read_surface_defaults_to_one_similarity_floor_and_temperature() -> None:
    floors = {
        "context": MementoContext().min_similarity,
        "retriever": CaseBankRetriever.model_fields["min_similarity"].default,
        "middleware": _default(MementoMiddleware.__init__, "min_similarity"),
        "cases why": _default(explain, "min_similarity"),
    }
    assert floors == dict.fromkeys(floors, defaults.MIN_SIMILARITY)
    alphas = {
        "context": MementoContext().alpha,
        "retriever": CaseBankRetriever.model_fields["alpha"].default,
        "middleware": _default(MementoMiddleware.__init__, "alpha"),
        "cases why": _default(explain, "alpha"),
    }
    assert alphas == dict.fromkeys(alphas, defaults.ALPHA)
