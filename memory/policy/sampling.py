"""The soft retrieval policy mu(c|s) = softmax(Q(s,c)/alpha) (paper Eq. 7/16)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Mode = Literal["train", "eval"]
EPSILON = 0.1
"""Epsilon-greedy's share of train-mode tasks that read K candidates at random (MemRL)."""


def soft_policy(q_values: np.ndarray, alpha: float) -> np.ndarray:
    """Probabilities softmax(Q/alpha), computed stably; alpha must be positive."""
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    q = np.asarray(q_values, dtype=np.float64)
    if q.size == 0:
        return q
    logits = q / alpha
    logits -= logits.max()
    weights = np.exp(logits)
    return weights / weights.sum()


def select_cases(
    q_values: np.ndarray,
    k: int,
    alpha: float,
    mode: Mode,
    rng: np.random.Generator,
    groups: Sequence[str] | None = None,
    *,
    selection: str = "soft",
    bonus: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the K cases to read, best first, at most one per group.

    Train mode explores from Q plus any optimism `bonus`, as `selection` says: "soft" samples K
    without replacement from softmax((Q + bonus)/alpha), with the Gumbel-top-K trick, which is
    exactly sequential sampling without replacement and stays stable as alpha goes to 0 (where
    it becomes top-K); "epsilon_greedy" reads K at random in a share EPSILON of tasks and the
    top K otherwise; "greedy" takes the top K (a bandit's bonus being its exploration). Eval
    mode takes the top K by Q.
    `groups` (e.g. each case's question) keeps only the first pick of a group, so K slots are
    not spent on versions of one thing; fewer than K come back when fewer groups exist.
    """
    q = np.asarray(q_values, dtype=np.float64)
    if groups is not None and len(groups) != q.size:
        raise ValueError(f"{len(groups)} groups for {q.size} candidates")
    if min(k, q.size) <= 0:
        return np.empty(0, dtype=np.int64)
    if mode == "train" and bonus is not None:
        q = q + bonus
    if mode == "eval" or selection == "greedy":
        keys = q
    elif selection == "epsilon_greedy":
        keys = rng.random(q.size) if rng.random() < EPSILON else q
    else:
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        keys = q / alpha + rng.gumbel(size=q.size)
    order = np.argsort(-keys, kind="stable")
    if groups is None:
        return order[:k]
    seen: set[str] = set()
    chosen = [i for i in order if not (groups[i] in seen or seen.add(groups[i]))]
    return np.asarray(chosen[:k], dtype=np.int64)
