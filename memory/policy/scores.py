"""What a retrieval policy says of each candidate: its score and the parts it is made of.

Eval mode reads the top K by score; train mode explores from score + bonus (mu(c|s) =
softmax((score + bonus)/alpha) by default), the bonus being an estimator's optimism about what it
has not tried. `memento cases why` shows the parts, so a person can see why a case was or was not
shown: how similar it is, what its visits say (`learned`), how much evidence backs that
(`evidence`, the kernel mass of its reads near the state, and `weight`, how far that evidence
moves the score off similarity), and the bonus. Every estimator answers through `score_parts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Literal, NamedTuple, Protocol

import numpy as np

from memory.bank.records import ScoredCase

Retrieval = Literal["similarity", "kernel", "parametric", "memrl", "ucb"]
Credit = Literal["shared", "contrastive", "followed"]
Selection = Literal["soft", "epsilon_greedy", "greedy"]
"""How train mode picks K cases from the scores: sampled from mu (the paper's soft policy),
epsilon-greedy (MemRL), or the top K (a bandit whose score already holds its exploration)."""


class ScoreParts(NamedTuple):
    """Per candidate, in the candidates' order: the score and what it is made of."""

    score: np.ndarray
    similarity: np.ndarray
    learned: np.ndarray
    evidence: np.ndarray
    weight: np.ndarray
    bonus: np.ndarray
    prior: np.ndarray | None = None
    """What the score starts from before evidence moves it: the similarity (None), or where a
    case's plan stopped working near the state, its plan's record since
    (`memory.policy.plan_change`)."""

    @classmethod
    def of_similarity(cls, similarity: np.ndarray, score: np.ndarray | None = None) -> ScoreParts:
        """Parts of a score that learns nothing from evidence (or `score`, learned elsewhere)."""
        zeros = np.zeros_like(similarity)
        return cls(similarity if score is None else score, similarity, zeros, zeros, zeros, zeros)


class QEstimator(Protocol):
    """Scores candidate cases for a state and learns from the targets they earned."""

    name: str
    selection: Selection

    @property
    def credits_unread(self) -> bool:
        """Whether the candidates a step left unread earn visits (contrastive credit)."""
        ...

    def score_parts(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> ScoreParts:
        """Each candidate's score and its parts, in the candidates' order."""
        ...

    def q_values(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> np.ndarray:
        """The score of each candidate: what eval mode ranks by (train mode adds the bonus)."""
        ...

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        """Take in new visits (already stored in the bank by the caller).

        `unread_ids` are the step's candidates left unread (contrastive credit), which earned
        the step's target without being read.
        """
        ...


class ScoredByParts:
    """`q_values` as the score of `score_parts`, for every estimator."""

    @property
    def credits_unread(self) -> bool:
        """Only contrastive credit learns from the candidates left unread (KernelQ and
        ParametricQ say when); for every other estimator their visits would never be read."""
        return False

    def score_parts(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> ScoreParts:
        raise NotImplementedError

    def q_values(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> np.ndarray:
        return self.score_parts(state, candidates).score


def score_items(
    estimator: QEstimator, vector: Sequence[float], candidates: Sequence[tuple[str, float]]
) -> ScoreParts:
    """The policy's score parts of each (id, cosine similarity) candidate in the state `vector`:
    a general memory is scored like a case (the store's search and the graph's memories).

    The estimators read a candidate's id and similarity only (and the stored vector under its
    id, `CaseBank.case_vectors`, which holds memories too).
    """
    if not candidates:
        return ScoreParts.of_similarity(np.empty(0))
    found = [SimpleNamespace(case=SimpleNamespace(id=i), similarity=s) for i, s in candidates]
    state = np.asarray(vector, dtype=np.float64)
    return estimator.score_parts(state, found)  # type: ignore[arg-type]


def similarities(candidates: Sequence[ScoredCase]) -> np.ndarray:
    return np.array([c.similarity for c in candidates], dtype=np.float64)


@dataclass
class SimilarityQ(ScoredByParts):
    """The non-parametric CBR baseline: the score is the cosine similarity, the top K are read
    in both modes (the paper's CBR explores nothing); nothing is learned."""

    name: str = "similarity"
    selection: Selection = "greedy"

    def score_parts(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> ScoreParts:
        return ScoreParts.of_similarity(similarities(candidates))

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        return None
