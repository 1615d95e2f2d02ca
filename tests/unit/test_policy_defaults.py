"""Every surface that reads cases starts from the policy's defaults (`memory.policy.defaults`):
the graph's context, the LangChain retriever, the agent middleware and `memento cases why`. A
literal copied into one of them drifts when the default is chosen again (the similarity floor
went from 0.3 to 0.2 on the learning suite, issue 25)."""

from __future__ import annotations

import inspect

import pytest

from memento.middleware import MementoMiddleware
from memory.adapters.retriever import CaseBankRetriever
from memory.care import explain
from memory.policy import defaults
from nodes.context import MementoContext


def _default(function: object, name: str) -> object:
    return inspect.signature(function).parameters[name].default


@pytest.mark.parametrize(
    ("field", "default"),
    [("min_similarity", defaults.MIN_SIMILARITY), ("alpha", defaults.ALPHA)],
)
def test_every_read_surface_defaults_to_the_policys_floor_and_temperature(
    field: str, default: float
) -> None:
    found = {
        "context": getattr(MementoContext(), field),
        "retriever": CaseBankRetriever.model_fields[field].default,
        "middleware": _default(MementoMiddleware.__init__, field),
        "cases why": _default(explain, field),
    }
    assert found == dict.fromkeys(found, default)
