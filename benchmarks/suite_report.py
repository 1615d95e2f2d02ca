"""The learning suite's figures: mean and sd over seeds, the headline score, markdown tables.

`summary[world][rule][phase]` holds `mean` and `sd` per round (a pass a rule does not run is
left out). A world's *score* for a rule is its success in eval mode, averaged over the world's
evaluation phases (repeated or reworded, and held-out) and over a span of rounds; the headline
is rounds >= 3 and round 1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

FROM_ROUND = 3
Summary = dict[str, dict[str, dict[str, dict[str, list[float]]]]]


def summarize(runs: Mapping[str, Mapping[str, Sequence[Mapping[str, list[float]]]]]) -> Summary:
    """Mean and sd over seeds of every curve: runs[world][rule] is one curve set per seed."""
    return {
        world: {rule: curve_stats(seeds) for rule, seeds in rules.items()}
        for world, rules in runs.items()
    }


def curve_stats(seeds: Sequence[Mapping[str, list[float]]]) -> dict[str, dict[str, list[float]]]:
    """Mean and sd over seeds of each phase's curve; a phase no seed ran is left out, and a
    round no seed ran (before a world's evaluation starts) stays NaN, without numpy's warning."""
    phases = {}
    for phase in seeds[0]:
        values = np.array([s[phase] for s in seeds], dtype=float)
        if np.isnan(values).all():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            phases[phase] = {
                "mean": np.nanmean(values, axis=0).round(4).tolist(),
                "sd": np.nanstd(values, axis=0).round(4).tolist(),
            }
    return phases


def eval_phases(curves: Mapping[str, Any]) -> list[str]:
    """The evaluation phases of a world (every phase but training)."""
    return [phase for phase in curves if phase != "train"]


def score(curves: Mapping[str, Any], first: int, last: int | None = None) -> float:
    """Mean success in eval mode over the evaluation phases and rounds first..last (1-based;
    last None: to the end). NaN when no round is in range."""
    values = [
        m
        for phase in eval_phases(curves)
        for m in curves[phase]["mean"][first - 1 : last]
        if not math.isnan(m)
    ]
    return float(np.mean(values)) if values else math.nan


def headline(curves: Mapping[str, Any]) -> tuple[float, float]:
    """(rounds >= 3, round 1)."""
    return score(curves, FROM_ROUND), score(curves, 1, 1)


def rule_order(labels: Sequence[str]) -> list[str]:
    """Memory off first, the oracle last, the rules between in the order given."""
    middle = [label for label in labels if label not in ("off", "oracle")]
    return [
        *(["off"] if "off" in labels else []),
        *middle,
        *(["oracle"] if "oracle" in labels else []),
    ]


def _cell(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"


def headline_table(summary: Summary, labels: Sequence[str]) -> str:
    """World x rule: the eval-mode score at rounds >= 3 / round 1."""
    order = rule_order(labels)
    rows = [
        "| world | " + " | ".join(order) + " |",
        "|---|" + "---|" * len(order),
    ]
    for world, rules in summary.items():
        cells = []
        for label in order:
            if label in rules:
                late, first = headline(rules[label])
                cells.append(f"{_cell(late)} / {_cell(first)}")
            else:
                cells.append("–")
        rows.append(f"| {world} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def phase_table(summary: Summary, world: str, labels: Sequence[str]) -> str:
    """One world: rule x phase, mean ± sd per round."""
    rules = summary[world]
    rounds = max(len(c["mean"]) for r in rules.values() for c in r.values())
    head = "| rule | phase | " + " | ".join(f"round {r}" for r in range(1, rounds + 1)) + " |"
    rows = [head, "|---|---|" + "---|" * rounds]
    for label in rule_order(labels):
        for phase, curve in rules.get(label, {}).items():
            cells = [
                f"{_cell(m)} ± {s:.3f}" for m, s in zip(curve["mean"], curve["sd"], strict=True)
            ]
            rows.append(f"| {label} | {phase} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
