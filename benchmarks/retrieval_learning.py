"""Does the learned retrieval policy beat similarity through the product's own loop?

Every task runs the compiled graph (`graphs.build_graph`: retrieve, plan, judge, write_case,
update_q, the product's nodes) over a case bank in a temporary folder on the default engine
(Qdrant Edge), embedded by the default embedder (MiniLM), with one scripted chat model: the
planner of `evals.worlds` (its `decoys` world), whose success depends only on the cases shown
to it. `benchmarks.learning_suite` runs the same loop over a suite of worlds.

Protocol, per method and seed, for `--rounds` rounds: a training pass over the repeated
questions (train mode: the policy samples, cases and visits are written), then two evaluation
passes in eval mode (top K by Q, nothing written): the same repeated questions, and held-out
questions of the same families. Methods:

- off          eval mode on an empty bank: the floor
- similarity   top K by cosine (the paper's non-parametric CBR); the bank still grows
- kernel       the product's defaults (see `nodes.context`)
- parametric   retrieval = parametric, otherwise the defaults
- oracle       the world's success rate with the right approach on the same draws: a policy
               that always shows a useful case
- LABEL:k=v,.. any other context fields, e.g. `kernel-shared:credit=shared`

    python -m benchmarks.retrieval_learning                       # the README's table
    python -m benchmarks.retrieval_learning --seeds 2 --rounds 3 --methods kernel similarity
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmarks.learning_runs import parse_method, run_rule, world_embedder
from benchmarks.report import steps
from benchmarks.suite_report import curve_stats
from evals.worlds import World, WorldConfig
from graphs import MementoContext

DEFAULT_METHODS = ("off", "similarity", "kernel", "parametric", "oracle")
TARGET_ROUND = 3
DEFAULT_FIELDS = (
    *(
        "credit",
        "similarity_prior",
        "prior_visits",
        "half_life",
        "change_after",
        "plan_change_after",
        "exploration",
        "optimism",
    ),
    *("q0", "lam", "tau", "alpha", "top_k", "num_candidates", "gamma"),
)
__all__ = ["main", "parse_method", "summarize", "table", "targets"]


def summarize(runs: dict[str, list[dict[str, list[float]]]]) -> dict[str, Any]:
    """Mean and sd over seeds of every curve."""
    return {label: curve_stats(seeds) for label, seeds in runs.items()}


def targets(summary: dict[str, Any]) -> list[tuple[str, bool]]:
    """Issue 13's targets at round 3 (kernel vs similarity and oracle), where measured."""
    if not {"kernel", "similarity", "oracle"} <= summary.keys():
        return []
    if len(summary["kernel"]["repeated"]["mean"]) < TARGET_ROUND:
        return []
    checks = []
    for phase in ("repeated", "held_out"):

        def at(label: str, phase: str = phase) -> float:
            return summary[label][phase]["mean"][TARGET_ROUND - 1]

        kernel, similarity, oracle = at("kernel"), at("similarity"), at("oracle")
        checks.append(
            (
                f"{phase}: kernel {kernel:.3f} >= similarity {similarity:.3f} + 0.15",
                kernel >= similarity + 0.15,
            )
        )
        checks.append(
            (f"{phase}: kernel {kernel:.3f} >= 0.9 x oracle {oracle:.3f}", kernel >= 0.9 * oracle)
        )
        if "parametric" in summary:
            parametric = at("parametric")
            checks.append(
                (
                    f"{phase}: parametric {parametric:.3f} within 0.05 of kernel",
                    parametric >= kernel - 0.05,
                )
            )
    return checks


def table(summary: dict[str, Any], rounds: int) -> str:
    """A markdown table: one row per method and phase, mean ± sd per round."""
    head = "| method | questions | " + " | ".join(f"round {r}" for r in range(1, rounds + 1)) + " |"
    rows = [head, "|" + "---|" * (rounds + 2)]
    for label, phases in summary.items():
        for phase, curve in phases.items():
            cells = [f"{m:.3f} ± {s:.3f}" for m, s in zip(curve["mean"], curve["sd"], strict=True)]
            rows.append(f"| {label} | {phase} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def plot(summary: dict[str, Any], rounds: int, path: Path) -> None:
    """Success per round, one panel per kind of question (needs the `eval` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = ("repeated", "held_out")
    figure, axes = plt.subplots(1, len(panels), figsize=(10, 4), sharey=True)
    x = np.arange(1, rounds + 1)
    for axis, phase in zip(axes, panels, strict=True):
        for label, phases in summary.items():
            if phase in phases:
                mean, sd = np.array(phases[phase]["mean"]), np.array(phases[phase]["sd"])
                axis.plot(x, mean, marker="o", label=label)
                axis.fill_between(x, mean - sd, mean + sd, alpha=0.15)
        axis.set_title(f"{phase.replace('_', '-')} questions (eval mode)")
        axis.set_xlabel("round")
        axis.set_xticks(x)
    axes[0].set_ylabel("success rate")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--cycles", type=int, default=1, help="planning cycles per task (2: compare gamma)"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/retrieval_learning"))
    args = parser.parse_args(argv)
    embedder = world_embedder("minilm")
    config = WorldConfig(cycles=args.cycles)
    runs: dict[str, list[dict[str, list[float]]]] = {}
    ms_per_task: dict[str, list[float]] = {}
    started = time.perf_counter()
    methods = [parse_method(spec) for spec in args.methods]
    runs_to_do = [
        (label, overrides, seed) for label, overrides in methods for seed in range(args.seeds)
    ]
    for label, overrides, seed in steps(runs_to_do, "retrieval_learning", unit="run"):
        world = World.build(config, seed)
        run = await run_rule(label, overrides, world, embedder, args.rounds)
        curves = run.curves
        if label not in ("off", "oracle"):  # the methods that run every pass
            ms_per_task.setdefault(label, []).append(run.ms_per_task)
        runs.setdefault(label, []).append(curves)
        tqdm.write(f"{label} seed {seed}: " + json.dumps(curves), file=sys.stderr)
    summary = summarize(runs)
    given = sys.argv[1:] if argv is None else argv
    command = f"python -m benchmarks.retrieval_learning {shlex.join(given)}".strip()
    checks = targets(summary)
    print(table(summary, args.rounds))
    for text, ok in checks:
        print(f"{'met' if ok else 'MISSED'}: {text}")
    for label, times in ms_per_task.items():
        print(f"{label}: {np.mean(times):.1f} ms per task (graph run, mean over seeds)")
    print(f"{time.perf_counter() - started:.0f} s; reproduce with: {command}")
    args.out.mkdir(parents=True, exist_ok=True)
    record = {
        "command": command,
        "world": asdict(config),
        "defaults": {f: getattr(MementoContext(store=":memory:"), f) for f in DEFAULT_FIELDS},
        "seeds": args.seeds,
        "summary": summary,
        "targets": [{"check": text, "met": ok} for text, ok in checks],
        "ms_per_task": ms_per_task,
        "runs": runs,
    }
    (args.out / "summary.json").write_text(json.dumps(record, indent=1) + "\n")
    try:
        plot(summary, args.rounds, args.out / "learning.png")
    except ImportError:
        print("matplotlib is missing (the eval extra): no plot", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
