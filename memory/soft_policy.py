"""The soft retrieval policy mu(c|s) = softmax(Q(s,c)/alpha) (paper Eq. 7/16)."""

from __future__ import annotations

from typing import Literal

import numpy as np

Mode = Literal["train", "eval"]


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
) -> np.ndarray:
    """Indices of the K cases to read, best first.

    Train mode samples K without replacement from softmax(Q/alpha) (the exploration); it uses
    the Gumbel-top-K trick, which is exactly sequential sampling without replacement and stays
    stable as alpha goes to 0 (where it becomes top-K). Eval mode takes the top K by Q.
    """
    q = np.asarray(q_values, dtype=np.float64)
    k = min(k, q.size)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if mode == "eval":
        keys = q
    else:
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        keys = q / alpha + rng.gumbel(size=q.size)
    order = np.argsort(-keys, kind="stable")
    return order[:k]
