"""Soft-Q learning targets (paper Eq. 8 and its single-step case, Eq. 14-15)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def soft_value(next_q_values: np.ndarray, alpha: float) -> float:
    """V(s') = alpha * log sum_c' exp(Q(s', c') / alpha), computed stably."""
    q = np.asarray(next_q_values, dtype=np.float64)
    if q.size == 0:
        return 0.0
    scaled = q / alpha
    top = scaled.max()
    return float(alpha * (top + np.log(np.exp(scaled - top).sum())))


def soft_q_targets(
    rewards: Sequence[float],
    next_q_values: Sequence[np.ndarray],
    *,
    gamma: float,
    alpha: float,
) -> list[float]:
    """Targets y_t for cycles t = 0..T-1 of one task.

    y_t = r_t + gamma * V(s_{t+1}) for every cycle but the last, whose target is its reward.
    `next_q_values[t]` holds Q(s_{t+1}, c') over the candidates c' seen at cycle t+1, so it has
    T-1 entries. With gamma = 0 every target is its reward (the single-step case).
    """
    if len(next_q_values) != max(len(rewards) - 1, 0):
        raise ValueError("next_q_values needs one entry per cycle after the first")
    targets = []
    for t, reward in enumerate(rewards):
        bootstrap = 0.0
        if t < len(rewards) - 1 and gamma > 0:
            bootstrap = gamma * soft_value(next_q_values[t], alpha)
        targets.append(float(reward) + bootstrap)
    return targets
