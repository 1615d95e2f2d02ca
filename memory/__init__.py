"""Case memory: the Qdrant case bank, embedders, Q estimators and the soft policy.

Knows nothing about graphs or nodes; usable on its own (e.g. as a LangChain retriever).

Names are imported on first use (PEP 562), so that importing one module of this package
does not import all the others (`memento --help` and `memento cases list` stay quick).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from memory.errors import BankInUseError, CaseBankError, EmbeddingSizeMismatchError

# Eager, because the function `soft_policy` shares its module's name: imported lazily, the
# submodule (set on this package by any import of it) would shadow the function.
from memory.soft_policy import select_cases, soft_policy

if TYPE_CHECKING:
    from memory.case_identity import case_id_for, normalize_question, outcome_key
    from memory.casebank import CaseBank
    from memory.embeddings import embedding_dim
    from memory.minilm import EmbedderUnavailableError, MiniLMEmbedder
    from memory.parametric_model import LogisticQModel
    from memory.q_estimators import (
        Credit,
        KernelQ,
        ParametricQ,
        QEstimator,
        Retrieval,
        SimilarityQ,
        kernel_q,
    )
    from memory.q_targets import soft_q_targets, soft_value
    from memory.records import Case, ScoredCase, Visit, VisitMatch
    from memory.retriever import CaseBankRetriever

_LAZY = {
    "Case": "memory.records",
    "CaseBank": "memory.casebank",
    "CaseBankRetriever": "memory.retriever",
    "Credit": "memory.q_estimators",
    "EmbedderUnavailableError": "memory.minilm",
    "KernelQ": "memory.q_estimators",
    "LogisticQModel": "memory.parametric_model",
    "MiniLMEmbedder": "memory.minilm",
    "ParametricQ": "memory.q_estimators",
    "QEstimator": "memory.q_estimators",
    "Retrieval": "memory.q_estimators",
    "ScoredCase": "memory.records",
    "SimilarityQ": "memory.q_estimators",
    "Visit": "memory.records",
    "VisitMatch": "memory.records",
    "case_id_for": "memory.case_identity",
    "embedding_dim": "memory.embeddings",
    "kernel_q": "memory.q_estimators",
    "normalize_question": "memory.case_identity",
    "outcome_key": "memory.case_identity",
    "soft_q_targets": "memory.q_targets",
    "soft_value": "memory.q_targets",
}

__all__ = [
    "BankInUseError",
    "Case",
    "CaseBank",
    "CaseBankError",
    "CaseBankRetriever",
    "Credit",
    "EmbedderUnavailableError",
    "EmbeddingSizeMismatchError",
    "KernelQ",
    "LogisticQModel",
    "MiniLMEmbedder",
    "ParametricQ",
    "QEstimator",
    "Retrieval",
    "ScoredCase",
    "SimilarityQ",
    "Visit",
    "VisitMatch",
    "case_id_for",
    "embedding_dim",
    "kernel_q",
    "normalize_question",
    "outcome_key",
    "select_cases",
    "soft_policy",
    "soft_q_targets",
    "soft_value",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
