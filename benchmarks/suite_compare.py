"""Two runs of the learning suite side by side: did a change move what the rules learn?

Compares every (world, rule, split, round) mean success both runs hold, and prints each world's
figure per rule as the suite's table does (mean over rounds >= 3 of the eval splits / round 1),
before -> after, with the largest difference of any single round and the seeds' standard error
there (sd / sqrt(seeds)), so a difference can be read against the noise; where both runs keep
their seeds' curves, also the paired difference (each seed's score after minus before: the same
draws, so far less noise than two means) per world and over the suite, with its standard error.

    python -m benchmarks.suite_compare benchmarks/results/learning_suite/summary.json \\
        /tmp/suite_steps/summary.json --rules kernel kernel-paper

With `--criteria`, the judged rule of the second run (a candidate, run alone: `--rules
"kernel:half_life=4"`, ~6 min for every world on two cores) takes the place of the first run's
judged rule, and issue 25's criteria are judged against the first run's peers, similarity,
memory off and oracle: which criteria the candidate would meet, without re-running the peers.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from benchmarks.suite_criteria import Check, suite_checks, world_checks
from benchmarks.suite_report import FROM_ROUND, headline, score
from evals.worlds import world_named


def differences(before: dict[str, Any], after: dict[str, Any], seeds: int) -> dict[str, float]:
    """The largest |after - before| of any split and round, and the standard error there."""
    worst, noise = 0.0, 0.0
    for split, curve in after.items():
        if split not in before:
            continue
        for old, new, sd in zip(before[split]["mean"], curve["mean"], curve["sd"], strict=False):
            if abs(new - old) >= worst:
                worst, noise = abs(new - old), sd / math.sqrt(seeds)
    return {"max_round_difference": round(worst, 3), "standard_error_there": round(noise, 3)}


def paired(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, Any]:
    """after - before of each seed's score (rounds >= 3), seed by seed (the same draws), and its
    standard error over the seeds both runs hold (`per_seed`: the differences themselves)."""

    def per_seed(seeds: list[dict[str, Any]]) -> list[float]:
        return [score({p: {"mean": _nan(c)} for p, c in s.items()}, FROM_ROUND) for s in seeds]

    n = min(len(before), len(after))
    diff = [a - b for a, b in zip(per_seed(after[:n]), per_seed(before[:n]), strict=True)]
    mean, spread = _mean_and_error(diff)
    return {"paired_difference": mean, "paired_standard_error": spread, "per_seed": diff}


def suite_paired(rows: list[dict[str, Any]], rule: str) -> tuple[float, float]:
    """The suite's mean over worlds of the paired difference, and its standard error over
    seeds (each seed's mean over the worlds)."""
    seeds = [r["per_seed"] for r in rows if r["rule"] == rule and "per_seed" in r]
    n = min((len(s) for s in seeds), default=0)
    return _mean_and_error([sum(s[i] for s in seeds) / len(seeds) for i in range(n)])


def _mean_and_error(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n if n else math.nan
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else math.nan
    return round(mean, 3), round(spread, 3)


def compare(before: Path, after: Path, rules: list[str], seeds: int) -> list[dict[str, Any]]:
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    rows = []
    for world, by_rule in new["summary"].items():
        now_of, was_of = _by_name(by_rule), _by_name(old["summary"].get(world, {}))
        for rule in rules:
            if rule not in now_of or rule not in was_of:
                continue
            was, now = was_of[rule], now_of[rule]
            runs = [_by_name(r.get("runs", {}).get(world, {})).get(rule) for r in (old, new)]
            rows.append({
                "world": world, "rule": rule, "before": headline(was), "after": headline(now),
                **differences(was, now, seeds), **(paired(*runs) if all(runs) else {}),
            })  # fmt: skip
    return rows


def criteria_with(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[Check], list[Check]]:
    """Issue 25's criteria for the judged rule of each run, both against `before`'s other rules
    (in the worlds `after` ran; the suite's mean only when it ran all of `before`'s worlds)."""
    judged = before["judged"]
    worlds = [w for w in after["summary"] if w in before["summary"]]

    def judge(curves_of: dict[str, Any], planted_of: dict[str, Any]) -> list[Check]:
        summary = {w: {**_nan(before["summary"][w]), judged: curves_of[w]} for w in worlds}
        checks = [
            check
            for w in worlds
            for check in world_checks(
                world_named(w), summary[w], judged, before["peers"], planted_of[w]
            )
        ]
        if set(worlds) == set(before["summary"]):
            checks += suite_checks(summary, judged, before["peers"])
        return checks

    def of(record: dict[str, Any], field: str, curves: bool) -> dict[str, Any]:
        values = {w: _by_name(record[field][w]).get(judged) for w in worlds}
        return {w: _nan(v) if curves else v for w, v in values.items()}

    return (
        judge(of(before, "summary", True), of(before, "planted", False)),
        judge(of(after, "summary", True), of(after, "planted", False)),
    )


def _nan(value: Any) -> Any:
    """A record read back from JSON, with null (a round not run) as NaN again."""
    if isinstance(value, dict):
        return {key: _nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nan(item) for item in value]
    return math.nan if value is None else value


def _by_name(by_label: dict[str, Any]) -> dict[str, Any]:
    """A run's curves by rule name: a rule given with its settings ("name:key=value,...") is
    labelled so in one run and by its name in another."""
    return {label.split(":")[0]: curves for label, curves in by_label.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rules", nargs="+", default=["kernel"])
    parser.add_argument("--seeds", type=int, default=5, help="seeds behind each mean")
    parser.add_argument(
        "--criteria", action="store_true", help="judge the second run's rule with the first's"
    )
    args = parser.parse_args()
    if args.criteria:
        _print_criteria(
            *criteria_with(*(json.loads(p.read_text()) for p in (args.before, args.after)))
        )
    rows = compare(args.before, args.after, args.rules, args.seeds)
    print(
        "| world | rule | before (>= 3 / round 1) | after | largest round difference (se) "
        "| paired difference, rounds >= 3 (se) |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        b, a = r["before"], r["after"]
        print(
            f"| {r['world']} | {r['rule']} | {b[0]:.3f} / {b[1]:.3f} | {a[0]:.3f} / {a[1]:.3f} "
            f"| {r['max_round_difference']:.3f} ({r['standard_error_there']:.3f}) "
            f"| {r.get('paired_difference', math.nan):+.3f} "
            f"({r.get('paired_standard_error', math.nan):.3f}) |"
        )
    for rule in args.rules:
        mean, error = suite_paired(rows, rule)
        if not math.isnan(mean):
            print(f"suite mean, {rule}: paired difference {mean:+.3f} ({error:.3f})")
    print(json.dumps(rows))


def _print_criteria(before: list[Check], after: list[Check]) -> None:
    met = [sum(c.met is True for c in checks) for checks in (before, after)]
    print(f"criteria met: {met[0]} of {len(before)} before, {met[1]} of {len(after)} after")
    for check in after:
        print(f"{check.verdict}: {check.world}: {check.text}")


if __name__ == "__main__":
    main()
