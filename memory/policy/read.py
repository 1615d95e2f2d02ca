"""The policy's read side: which cases a state gets.

One implementation, shared by the graph's `retrieve` node, the LangChain retriever, the agent
middleware, the MCP memory server and `memento cases why`: vector search for N candidates,
Q(s, c) for each, mu(c|s) = softmax(Q/alpha), K of them read (sampled in train mode, top-K by Q
in eval mode). The write side is `memory.policy.write`. Everything here is synchronous; async
callers use `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from memory.bank.casebank import CaseBank
from memory.bank.identity import normalize_question
from memory.bank.records import Case
from memory.policy.estimators import QEstimator
from memory.policy.sampling import Mode, select_cases, soft_policy


class RankedCase(BaseModel):
    """A candidate case as the policy sees it in one state: similarity, Q and mu(c|s)."""

    case: Case
    similarity: float
    q: float
    probability: float


def rank_cases(
    bank: CaseBank,
    estimator: QEstimator,
    vector: Sequence[float],
    *,
    namespace: str,
    limit: int,
    alpha: float,
    exclude_question: str | None = None,
    min_similarity: float = -1.0,
) -> list[RankedCase]:
    """The `limit` nearest cases of a namespace with their Q and soft-policy probability.

    Cases less similar than `min_similarity` to the state are dropped before Q is computed:
    a case about something else is never shown, however well it once did.

    In the bank's similarity order (best first); `exclude_question` drops every attempt of
    that question (leakage control in evaluation).
    """
    state = np.asarray(vector, dtype=np.float64)  # once: the store and Q both take arrays
    found = bank.search(state, namespace=namespace, limit=limit, exclude_question=exclude_question)
    found = [s for s in found if s.similarity >= min_similarity]
    q_values = estimator.q_values(state, found)
    probabilities = soft_policy(q_values, alpha)
    return [
        RankedCase(case=s.case, similarity=s.similarity, q=float(q), probability=float(p))
        for s, q, p in zip(found, q_values, probabilities, strict=True)
    ]


def choose_cases(
    ranked: Sequence[RankedCase],
    k: int,
    *,
    alpha: float,
    mode: Mode,
    rng: np.random.Generator,
) -> list[RankedCase]:
    """The K cases to read, best first: sampled from mu in train mode, top-K by Q in eval.

    At most one attempt of each question is read, so K slots show K different questions.
    """
    q_values = np.array([r.q for r in ranked], dtype=np.float64)
    questions = [normalize_question(r.case.question) for r in ranked]
    return [ranked[i] for i in select_cases(q_values, k, alpha, mode, rng, groups=questions)]
