"""Case memory: the case bank, its learned retrieval policy, bank care and the adapters.

Rooms, each importing only the ones listed before it: `engines` (vector engines behind one
protocol), `bank` (cases and visits), `policy` (Q, the soft policy, its read and write sides),
`care` (relabel, prune, consolidate, explain, transfer), `adapters` (LangChain retriever,
LangGraph store); `embeddings` and `errors` stand alone. Knows nothing about graphs or nodes;
usable on its own. Names are imported on first use (`memory.exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from memory.adapters.langgraph_store import MementoStore
    from memory.adapters.retriever import CaseBankRetriever
    from memory.bank.casebank import CaseBank
    from memory.bank.identity import case_id_for, normalize_question, outcome_key
    from memory.bank.records import Case, ScoredCase, Visit, VisitMatch
    from memory.embeddings.embedders import embedding_dim
    from memory.embeddings.minilm import EmbedderUnavailableError, MiniLMEmbedder
    from memory.errors import BankInUseError, CaseBankError, EmbeddingSizeMismatchError
    from memory.policy.kernel import KernelQ, kernel_q
    from memory.policy.parametric import ParametricQ
    from memory.policy.parametric_model import LogisticQModel
    from memory.policy.read import RankedCase, choose_cases, rank_cases, read_cases
    from memory.policy.sampling import select_cases, soft_policy
    from memory.policy.scores import Credit, QEstimator, Retrieval, SimilarityQ
    from memory.policy.targets import soft_q_targets, soft_value
    from memory.policy.write import record_visits

_HOMES = {
    "BankInUseError": "memory.errors",
    "Case": "memory.bank.records",
    "CaseBank": "memory.bank.casebank",
    "CaseBankError": "memory.errors",
    "CaseBankRetriever": "memory.adapters.retriever",
    "Credit": "memory.policy.scores",
    "EmbedderUnavailableError": "memory.embeddings.minilm",
    "EmbeddingSizeMismatchError": "memory.errors",
    "KernelQ": "memory.policy.kernel",
    "LogisticQModel": "memory.policy.parametric_model",
    "MementoStore": "memory.adapters.langgraph_store",
    "MiniLMEmbedder": "memory.embeddings.minilm",
    "ParametricQ": "memory.policy.parametric",
    "QEstimator": "memory.policy.scores",
    "RankedCase": "memory.policy.read",
    "Retrieval": "memory.policy.scores",
    "ScoredCase": "memory.bank.records",
    "SimilarityQ": "memory.policy.scores",
    "Visit": "memory.bank.records",
    "VisitMatch": "memory.bank.records",
    "case_id_for": "memory.bank.identity",
    "choose_cases": "memory.policy.read",
    "embedding_dim": "memory.embeddings.embedders",
    "kernel_q": "memory.policy.kernel",
    "normalize_question": "memory.bank.identity",
    "outcome_key": "memory.bank.identity",
    "rank_cases": "memory.policy.read",
    "read_cases": "memory.policy.read",
    "record_visits": "memory.policy.write",
    "select_cases": "memory.policy.sampling",
    "soft_policy": "memory.policy.sampling",
    "soft_q_targets": "memory.policy.targets",
    "soft_value": "memory.policy.targets",
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
    "MementoStore",
    "MiniLMEmbedder",
    "ParametricQ",
    "QEstimator",
    "RankedCase",
    "Retrieval",
    "ScoredCase",
    "SimilarityQ",
    "Visit",
    "VisitMatch",
    "case_id_for",
    "choose_cases",
    "embedding_dim",
    "kernel_q",
    "normalize_question",
    "outcome_key",
    "rank_cases",
    "read_cases",
    "record_visits",
    "select_cases",
    "soft_policy",
    "soft_q_targets",
    "soft_value",
]

__getattr__ = lazy_exports(__name__, _HOMES)
