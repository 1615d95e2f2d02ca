"""Case memory: the Qdrant case bank, embedders, Q estimators and the soft policy.

Knows nothing about graphs or nodes; usable on its own (e.g. as a LangChain retriever).
"""

from memory.case_identity import case_id_for, normalize_question, outcome_key
from memory.casebank import CaseBank
from memory.embeddings import embedding_dim
from memory.errors import BankInUseError, CaseBankError, EmbeddingSizeMismatchError
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
from memory.soft_policy import select_cases, soft_policy

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
