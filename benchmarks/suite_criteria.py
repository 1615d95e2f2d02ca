"""Issue 25's criteria for a default that holds everywhere, checked on the suite's summary.

For a judged rule J (the product's default, `kernel`, unless told), per world, on the eval-mode
score of `suite_report` (rounds >= 3 unless said):

- never below similarity by more than 0.02, in any phase and round (training and round 1
  included: a user's tasks run in train mode);
- >= similarity + 0.15 in every phase of a world flagged `misleads_similarity`;
- >= the best peer - 0.02 in every world, and ahead of every peer on the suite's mean;
- after a drift at round D: back within 0.1 of its round-D score from round D+2 on, and below
  memory off in at most one round after D;
- >= 90% of the oracle in every phase where the oracle is >= 0.8;
- planted cases shown with mu < 0.05 after at most 3 failed reads (`planted_watch`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.planted_watch import planted_check
from benchmarks.suite_report import FROM_ROUND, Summary, eval_phases, score
from evals.worlds import WorldSpec

MARGIN = 0.02
MISLED_GAIN = 0.15
DRIFT_BAND = 0.1
ORACLE_HIGH, ORACLE_SHARE = 0.8, 0.9


@dataclass(frozen=True)
class Check:
    """One criterion in one world (world '*' for the suite as a whole); `met` None: it could
    not be judged on the rounds run."""

    world: str
    text: str
    met: bool | None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "n/a"}[self.met]


def _late(curves: Mapping[str, Any], phase: str) -> float:
    values = [m for m in curves[phase]["mean"][FROM_ROUND - 1 :] if not math.isnan(m)]
    return sum(values) / len(values) if values else math.nan


def _not_below_similarity(world: str, j: str, rules: Mapping[str, Any]) -> Check:
    gaps = [
        (jm - sm, phase, r)
        for phase in rules[j]
        if phase in rules["similarity"]
        for r, (jm, sm) in enumerate(
            zip(rules[j][phase]["mean"], rules["similarity"][phase]["mean"], strict=True), 1
        )
    ]
    gap, phase, round_ = min(gaps)
    text = f"{j} never below similarity by > {MARGIN}: worst {gap:+.3f} ({phase}, round {round_})"
    return Check(world, text, gap >= -MARGIN)


def world_checks(
    spec: WorldSpec,
    rules: Mapping[str, Any],
    judged: str,
    peers: Sequence[str],
    planted: list[dict[str, Any]] | None = None,
) -> list[Check]:
    """Every criterion that applies to one world and was measured in it."""
    name, j, checks = spec.name, judged, []
    if j not in rules:
        return [Check(name, f"{j} was not run", False)]
    phases = eval_phases(rules[j])
    if "similarity" in rules:
        checks.append(_not_below_similarity(name, j, rules))
    if math.isnan(score(rules[j], FROM_ROUND)):
        text = f"rounds >= {FROM_ROUND} not run: only the criterion over every round is judged"
        return [*checks, Check(name, text, None)]
    if "similarity" in rules and spec.misleads_similarity:
        for p in phases:
            jv, sv = _late(rules[j], p), _late(rules["similarity"], p)
            text = f"{p}: {j} {jv:.3f} >= similarity {sv:.3f} + {MISLED_GAIN}"
            checks.append(Check(name, text, jv >= sv + MISLED_GAIN))
    ran = [p for p in peers if p in rules]
    if ran:
        best = max(ran, key=lambda p: score(rules[p], FROM_ROUND))
        jv, bv = score(rules[j], FROM_ROUND), score(rules[best], FROM_ROUND)
        text = f"{j} {jv:.3f} >= best peer ({best}) {bv:.3f} - {MARGIN}"
        checks.append(Check(name, text, jv >= bv - MARGIN))
    if "oracle" in rules:
        for p in phases:
            oracle = _late(rules["oracle"], p)
            if oracle >= ORACLE_HIGH:
                jv = _late(rules[j], p)
                text = f"{p}: {j} {jv:.3f} >= {ORACLE_SHARE} x oracle {oracle:.3f}"
                checks.append(Check(name, text, jv >= ORACLE_SHARE * oracle))
    if spec.config.drift_after_round is not None:
        checks += _drift_checks(name, j, rules, spec.config.drift_after_round)
    if spec.config.planted_per_family and planted is not None:
        text, ok = planted_check(planted)
        checks.append(Check(name, f"{j}: {text}", ok))
    return checks


def _drift_checks(world: str, j: str, rules: Mapping[str, Any], drift: int) -> list[Check]:
    rounds = len(rules[j][eval_phases(rules[j])[0]]["mean"])
    if rounds < drift + 2:
        return [Check(world, f"drift: {rounds} rounds, need >= {drift + 2} to judge", False)]
    per_round = [score(rules[j], r, r) for r in range(1, rounds + 1)]
    before = per_round[drift - 1]
    after = per_round[drift + 1 :]
    text = (
        f"drift: {j} back within {DRIFT_BAND} of round {drift}'s {before:.3f} from round "
        f"{drift + 2} on (rounds {drift + 2}-{rounds}: {', '.join(f'{v:.3f}' for v in after)})"
    )
    checks = [Check(world, text, min(after) >= before - DRIFT_BAND)]
    if "off" in rules:
        off = [score(rules["off"], r, r) for r in range(drift + 1, rounds + 1)]
        below = sum(jv < ov for jv, ov in zip(per_round[drift:], off, strict=True))
        text = f"drift: {j} below memory off in {below} of the {rounds - drift} rounds after it"
        checks.append(Check(world, text, below <= 1))
    return checks


def suite_checks(summary: Summary, judged: str, peers: Sequence[str]) -> list[Check]:
    """Ahead of every peer on the suite's mean (over the worlds both ran)."""
    checks = []
    for peer in peers:
        worlds = [w for w, rules in summary.items() if judged in rules and peer in rules]
        if not worlds or math.isnan(score(summary[worlds[0]][judged], FROM_ROUND)):
            continue
        jv = sum(score(summary[w][judged], FROM_ROUND) for w in worlds) / len(worlds)
        pv = sum(score(summary[w][peer], FROM_ROUND) for w in worlds) / len(worlds)
        text = f"suite mean ({len(worlds)} worlds): {judged} {jv:.3f} > {peer} {pv:.3f}"
        checks.append(Check("*", text, jv > pv))
    return checks
