"""The policy's read side: which cases a state gets.

One implementation, shared by the graph's `retrieve` node, the LangChain retriever, the agent
middleware, the MCP memory server and `memento cases why`: vector search for N candidates,
Q(s, c) for each, mu(c|s) = softmax(Q/alpha) (train mode adds the estimator's exploration bonus
to Q), K of them read (explored in train mode, top-K by Q in eval mode). The write side is
`memory.policy.write`. Everything here is synchronous; async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from memory.bank.casebank import CaseBank
from memory.bank.identity import normalize_question
from memory.bank.memory_items import MemoryItem
from memory.bank.records import Case
from memory.policy.sampling import Mode, select_cases, soft_policy
from memory.policy.scores import QEstimator, ScoreParts, Selection, score_items


class RankedCase(BaseModel):
    """A candidate case as the policy sees it in one state: its score (`q`, what eval mode ranks
    by), mu(c|s) under the mode's own policy (`rank_cases`), and what the score is made of
    (`memory.policy.scores.ScoreParts`)."""

    case: Case
    similarity: float
    q: float
    probability: float
    learned: float = 0.0
    evidence: float = 0.0
    weight: float = 0.0
    bonus: float = 0.0
    prior: float | None = None
    """What the score started from where it was not the similarity: the record of the case's
    plan since it stopped working near the state (`memory.policy.plan_change`)."""


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
    mode: Mode = "train",
) -> list[RankedCase]:
    """The `limit` nearest cases of a namespace with their Q and soft-policy probability.

    Cases less similar than `min_similarity` to the state are dropped before Q is computed:
    a case about something else is never shown, however well it once did. The probability is
    the `mode`'s policy: train mode's softmax((Q + bonus)/alpha) holds the exploration bonus,
    eval mode's softmax(Q/alpha) does not, as eval mode reads by Q alone (a case tried once,
    far from this state, keeps most of its bonus here, which no eval read acts on).

    In the bank's similarity order (best first); `exclude_question` drops every attempt of
    that question (leakage control in evaluation).
    """
    state = np.asarray(vector, dtype=np.float64)  # once: the store and Q both take arrays
    found = bank.search(state, namespace=namespace, limit=limit, exclude_question=exclude_question)
    found = [s for s in found if s.similarity >= min_similarity]
    parts = estimator.score_parts(state, found)
    probabilities = _mode_policy(parts, alpha, mode)
    return [
        RankedCase(
            case=s.case,
            similarity=s.similarity,
            q=float(parts.score[i]),
            probability=float(probabilities[i]),
            learned=float(parts.learned[i]),
            evidence=float(parts.evidence[i]),
            weight=float(parts.weight[i]),
            bonus=float(parts.bonus[i]),
            prior=_prior(parts, i),
        )
        for i, s in enumerate(found)
    ]


def _mode_policy(parts: ScoreParts, alpha: float, mode: Mode) -> np.ndarray:
    """mu(c|s) of the policy a mode reads by: the bonus is train mode's exploration only."""
    return soft_policy(parts.score + parts.bonus if mode == "train" else parts.score, alpha)


def read_cases(
    bank: CaseBank,
    estimator: QEstimator,
    vector: Sequence[float],
    *,
    namespace: str,
    limit: int,
    k: int,
    alpha: float,
    mode: Mode,
    rng: np.random.Generator,
    exclude_question: str | None = None,
    min_similarity: float = -1.0,
) -> tuple[list[RankedCase], list[RankedCase]]:
    """The policy's whole read: the ranked candidates (`rank_cases`) and the K of them read
    (`choose_cases`, explored as the estimator says). Every surface reads cases through it."""
    ranked = rank_cases(
        bank,
        estimator,
        vector,
        namespace=namespace,
        limit=limit,
        alpha=alpha,
        exclude_question=exclude_question,
        min_similarity=min_similarity,
        mode=mode,
    )
    chosen = choose_cases(ranked, k, alpha=alpha, mode=mode, rng=rng, selection=estimator.selection)
    return ranked, chosen


def choose_cases(
    ranked: Sequence[RankedCase],
    k: int,
    *,
    alpha: float,
    mode: Mode,
    rng: np.random.Generator,
    selection: Selection = "soft",
) -> list[RankedCase]:
    """The K cases to read, best first: explored as the estimator's `selection` says in train
    mode (`greedy`: the top K by score + bonus; `soft`: sampled from mu, the bonus included),
    top-K by score in eval.

    At most one attempt of each question is read, so K slots show K different questions.
    """
    q_values = np.array([r.q for r in ranked], dtype=np.float64)
    bonus = np.array([r.bonus for r in ranked], dtype=np.float64)
    questions = [normalize_question(r.case.question) for r in ranked]
    chosen = select_cases(
        q_values, k, alpha, mode, rng, groups=questions, selection=selection, bonus=bonus
    )
    return [ranked[i] for i in chosen]


class RankedMemory(BaseModel):
    """A general memory as the policy sees it in one state, like a `RankedCase`."""

    memory: MemoryItem
    similarity: float
    q: float
    probability: float


def read_memories(
    bank: CaseBank,
    estimator: QEstimator,
    vector: Sequence[float],
    *,
    namespace: str,
    limit: int,
    k: int,
    alpha: float,
    mode: Mode,
    rng: np.random.Generator,
    min_similarity: float = -1.0,
) -> list[RankedMemory]:
    """The K general memories of a namespace a state is shown, best first: its `limit` nearest
    indexed ones (one vector search, empty when the namespace holds none), at least
    `min_similarity` similar, scored by the estimator as cases are (`score_items`: a memory
    version's visits are its credit) and chosen as cases are (the estimator's selection in
    train mode, the top K by score in eval). Nothing is written."""
    if k <= 0:
        return []
    found = bank.memories.search(vector, namespace=namespace, limit=limit)
    found = [(m, s) for m, s in found if s >= min_similarity]
    if not found:
        return []
    parts = score_items(estimator, vector, [(m.id, s) for m, s in found])
    probabilities = _mode_policy(parts, alpha, mode)
    chosen = select_cases(
        parts.score, k, alpha, mode, rng, selection=estimator.selection, bonus=parts.bonus
    )
    return [
        RankedMemory(
            memory=found[i][0],
            similarity=found[i][1],
            q=float(parts.score[i]),
            probability=float(probabilities[i]),
        )
        for i in chosen
    ]


def _prior(parts: ScoreParts, i: int) -> float | None:
    """The candidate's prior where it is not its similarity, else None."""
    if parts.prior is None or parts.prior[i] == parts.similarity[i]:
        return None
    return float(parts.prior[i])
