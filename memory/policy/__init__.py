"""The learned retrieval policy: Q(s, c), the soft policy mu(c|s), and its read and write sides.

`scores` is what every estimator answers (a score per candidate and its parts); `kernel`,
`parametric` and `peers` (MemRL, a UCB bandit) are the estimators (numpy only, recomputable from
the bank's records); `sampling` is mu = softmax(Q/alpha) and how K cases are drawn from it;
`targets` the soft-Q targets across cycles; `read` ranks and chooses a state's cases; `write`
stores what they earned as visits and trains Q. Every caller (nodes, retriever, middleware, MCP,
benchmarks) goes through `read` and `write`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from memory.policy.kernel import KernelQ, age_weights, kernel_q, kernel_q_by_group
    from memory.policy.parametric import ParametricQ
    from memory.policy.parametric_model import LogisticQModel
    from memory.policy.peers import UCBQ, MemRLQ
    from memory.policy.read import RankedCase, choose_cases, rank_cases, read_cases
    from memory.policy.sampling import Mode, select_cases, soft_policy
    from memory.policy.scores import (
        Credit,
        QEstimator,
        Retrieval,
        ScoreParts,
        Selection,
        SimilarityQ,
    )
    from memory.policy.targets import soft_q_targets, soft_value
    from memory.policy.write import record_visits, visit_id

_HOMES = {
    "Credit": "memory.policy.scores",
    "KernelQ": "memory.policy.kernel",
    "LogisticQModel": "memory.policy.parametric_model",
    "MemRLQ": "memory.policy.peers",
    "Mode": "memory.policy.sampling",
    "ParametricQ": "memory.policy.parametric",
    "QEstimator": "memory.policy.scores",
    "RankedCase": "memory.policy.read",
    "Retrieval": "memory.policy.scores",
    "ScoreParts": "memory.policy.scores",
    "Selection": "memory.policy.scores",
    "SimilarityQ": "memory.policy.scores",
    "UCBQ": "memory.policy.peers",
    "age_weights": "memory.policy.kernel",
    "choose_cases": "memory.policy.read",
    "kernel_q": "memory.policy.kernel",
    "kernel_q_by_group": "memory.policy.kernel",
    "rank_cases": "memory.policy.read",
    "read_cases": "memory.policy.read",
    "record_visits": "memory.policy.write",
    "select_cases": "memory.policy.sampling",
    "soft_policy": "memory.policy.sampling",
    "soft_q_targets": "memory.policy.targets",
    "soft_value": "memory.policy.targets",
    "visit_id": "memory.policy.write",
}

__all__ = [
    "UCBQ",
    "Credit",
    "KernelQ",
    "LogisticQModel",
    "MemRLQ",
    "Mode",
    "ParametricQ",
    "QEstimator",
    "RankedCase",
    "Retrieval",
    "ScoreParts",
    "Selection",
    "SimilarityQ",
    "age_weights",
    "choose_cases",
    "kernel_q",
    "kernel_q_by_group",
    "rank_cases",
    "read_cases",
    "record_visits",
    "select_cases",
    "soft_policy",
    "soft_q_targets",
    "soft_value",
    "visit_id",
]

__getattr__ = lazy_exports(__name__, _HOMES)
