"""Does the learned retrieval policy hold in worlds it was not tuned on? (issue 25)

Runs worlds x rules x seeds x rounds through the product's own loop (`benchmarks.learning_runs`:
the compiled graph, its nodes, a bank on the default engine in a temporary folder, the default
embedder unless the world names another) over the suite of `evals.worlds.suite`. Rules are
`LABEL` or `LABEL:field=value,...` of context overrides, plus `off` (eval mode on an empty
bank: nothing shown) and `oracle` (the right approach's success on the same draws).

Prints the world x rule table (eval-mode success, rounds >= 3 / round 1), the criteria of
issue 25 as `met` / `MISSED` lines for the judged rule, milliseconds per task, and the command
that reproduces it; writes summary.json, a PNG per world and index.html (every world's curves
per rule, inline SVG, no script) under --out.

    python -m benchmarks.learning_suite                                 # the whole suite
    python -m benchmarks.learning_suite --quick --rules similarity kernel --jobs 2
    python -m benchmarks.learning_suite --worlds drift --rules off similarity kernel "k:tau=0.1"
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import machine
from benchmarks.suite_criteria import Check, suite_checks, world_checks
from benchmarks.suite_jobs import FULL_SEEDS, Job, estimate_full_run, run_jobs
from benchmarks.suite_page import page, write_charts
from benchmarks.suite_report import headline, headline_table, phase_table, summarize
from benchmarks.suite_rules import DEFAULT_PEERS, DEFAULT_RULES, Rule, parse_rules
from evals.worlds import SUITE, WorldSpec, world_named

DEFAULT_OUT = Path("benchmarks/results/learning_suite")
QUICK_OUT = Path("benchmarks/results/learning_suite_quick")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", nargs="+", default=[spec.name for spec in SUITE])
    parser.add_argument("--rules", nargs="+", default=list(DEFAULT_RULES))
    parser.add_argument("--seeds", type=int, default=None, help="default 5 (2 with --quick)")
    parser.add_argument("--rounds", type=int, default=None, help="default: each world's own")
    parser.add_argument("--jobs", type=int, default=1, help="processes running jobs at once")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 3 families of 5")
    parser.add_argument("--judge", default="kernel", help="the rule the criteria judge")
    parser.add_argument("--peers", nargs="+", default=list(DEFAULT_PEERS))
    parser.add_argument("--out", type=Path, default=None, help="where the files are written")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        specs = [world_named(name) for name in args.worlds]
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    rules, skipped = parse_rules(args.rules)
    for message in skipped:
        print(message, file=sys.stderr)
    seeds = args.seeds or (2 if args.quick else FULL_SEEDS)
    out = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
    jobs = [
        Job(spec.name, rule, seed, args.rounds or spec.rounds, args.quick)
        for spec in specs
        for rule in rules
        for seed in range(seeds)
    ]
    started = time.perf_counter()
    results = sorted(run_jobs(jobs, args.jobs), key=lambda r: r["job"].seed)
    elapsed = time.perf_counter() - started
    given = sys.argv[1:] if argv is None else argv
    command = f"python -m benchmarks.learning_suite {shlex.join(given)}".strip()
    record = report(specs, rules, results, args.judge, args.peers)
    record.update(command=command, elapsed_s=round(elapsed, 1), seeds=seeds, quick=args.quick)
    record.update(skipped=skipped, machine=machine())
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(_no_nan(record), indent=1) + "\n")
    write_page(record, specs, [rule.label for rule in rules], out)
    for message in skipped:
        print(message)
    print(f"{elapsed:.0f} s; written to {out}/; reproduce with: {command}")
    return 0


def report(
    specs: list[WorldSpec],
    rules: list[Rule],
    results: list[dict[str, Any]],
    judged: str,
    peer_labels: list[str],
) -> dict[str, Any]:
    """Summaries, tables and criteria: printed, and returned as the JSON record."""
    labels = [rule.label for rule in rules]
    runs: dict[str, dict[str, list[Any]]] = {s.name: {r: [] for r in labels} for s in specs}
    planted: dict[str, dict[str, list[Any]]] = {s.name: {r: [] for r in labels} for s in specs}
    ms: dict[str, dict[str, list[float]]] = {s.name: {} for s in specs}
    for result in results:
        job = result["job"]
        runs[job.world][job.rule.label].append(result["curves"])
        planted[job.world][job.rule.label].extend(result["planted"])
        if job.rule.label not in ("off", "oracle"):
            ms[job.world].setdefault(job.rule.label, []).append(result["ms_per_task"])
    summary = summarize({w: {r: _seeds(s) for r, s in rs.items()} for w, rs in runs.items()})
    peers = [p for p in peer_labels if p in labels and p != judged]
    checks: list[Check] = []
    for spec in specs:
        reports = planted[spec.name].get(judged)
        checks += world_checks(spec, summary[spec.name], judged, peers, reports)
    checks += suite_checks(summary, judged, peers)
    table = headline_table(summary, labels)
    print(table)
    for check in checks:
        print(f"{check.verdict}: {check.world}: {check.text}")
    mean_ms = {w: {r: round(float(np.mean(v)), 2) for r, v in rs.items()} for w, rs in ms.items()}
    for label in labels:
        values = [v[label] for v in mean_ms.values() if label in v]
        if values:
            print(f"{label}: {np.mean(values):.1f} ms per task (graph run, mean over worlds)")
    tasks, seconds = estimate_full_run(mean_ms, [spec.partition(":")[0] for spec in DEFAULT_RULES])
    print(f"the whole suite, default rules, 5 seeds: {tasks} graph runs, ~{seconds / 60:.0f} min")
    return {
        "worlds": {s.name: _world_record(s) for s in specs},
        "rules": {rule.label: rule.spec for rule in rules},
        "judged": judged,
        "peers": peers,
        "table": table,
        "headline": {w: {r: headline(c) for r, c in rs.items()} for w, rs in summary.items()},
        "checks": [{"world": c.world, "check": c.text, "met": c.met} for c in checks],
        "ms_per_task": mean_ms,
        "summary": summary,
        "planted": planted,
        "runs": runs,
    }


def _seeds(curves: list[dict[str, list[float | None]]]) -> list[dict[str, list[float]]]:
    return [{p: [math.nan if v is None else v for v in c] for p, c in s.items()} for s in curves]


def _no_nan(value: Any) -> Any:
    """The record with NaN (a pass or round not measured) as null: strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(item) for item in value]
    return value


def _world_record(spec: WorldSpec) -> dict[str, Any]:
    return {
        "about": spec.about,
        "rounds": spec.rounds,
        "misleads_similarity": spec.misleads_similarity,
        "config": asdict(spec.config),
    }


def write_page(
    record: dict[str, Any], specs: list[WorldSpec], labels: list[str], out: Path
) -> None:
    """A PNG per world and index.html (needs matplotlib, the `eval` extra)."""
    try:
        svgs = write_charts(record["summary"], labels, out)
    except ImportError:
        print("matplotlib is missing (the eval extra): no charts, no page", file=sys.stderr)
        return
    worlds = [
        (s.name, s.about, phase_table(record["summary"], s.name, labels), svgs[s.name])
        for s in specs
    ]
    checks = [(c["world"], c["check"], c["met"]) for c in record["checks"]]
    html = page("Learning suite", record["table"], worlds, checks, record["command"])
    (out / "index.html").write_text(html)


if __name__ == "__main__":
    raise SystemExit(main())
