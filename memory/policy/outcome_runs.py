"""The newest run of like outcomes in each group's history: what both change detectors read
(a case's visits in `memory.policy.kernel`, a plan's steps in `memory.policy.plan_change`)."""

from __future__ import annotations

import numpy as np


def newest_runs(
    groups: np.ndarray, starts: np.ndarray, won: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """For a history sorted by group, newest first (`starts`: the index of each entry's group's
    newest): whether each entry belongs to its group's newest run of like outcomes (all won or
    all lost), and per group whether that run won."""
    new_run = np.ones(len(groups), dtype=bool)
    new_run[1:] = (won[1:] != won[:-1]) | (groups[1:] != groups[:-1])
    run = np.cumsum(new_run) - 1
    newest = run == run[starts]
    newest_won = np.zeros(n_groups, dtype=bool)
    newest_won[groups[starts]] = won[starts]
    return newest, newest_won
