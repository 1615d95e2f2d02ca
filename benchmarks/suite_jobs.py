"""The learning suite's jobs: one rule on one seed of one world, each independent of the others,
run in this process or a pool of processes; and what a run of the whole suite costs."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from typing import Any

import numpy as np

from benchmarks.learning_runs import run_rule, world_embedder
from benchmarks.report import steps
from benchmarks.suite_rules import Rule
from evals.worlds import SUITE, World, WorldConfig, WorldSpec, world_named

QUICK = {"family_count": 3}
"""--quick: 3 families instead of 5 (fewer tasks, each family as dense in the bank as in a full
run: with fewer questions per family, top 4 would show a whole family and hide what showing
more or fewer cases does)."""
FULL_SEEDS = 5
_threads: int | None = None  # MiniLM's threads in this process (1 in a pool's workers)


@dataclass(frozen=True)
class Job:
    """One rule on one seed of one world."""

    world: str
    rule: Rule
    seed: int
    rounds: int
    quick: bool


def world_config(spec: WorldSpec, quick: bool) -> WorldConfig:
    """The world's knobs, with fewer questions under --quick."""
    return replace(spec.config, **QUICK) if quick else spec.config


def tasks_per_run(config: WorldConfig, rounds: int, label: str) -> int:
    """Graph runs of one job: a training pass (not for off) and the evaluation passes."""
    if label == "oracle":
        return 0
    train = config.family_count * config.train_per_family
    held_out = config.family_count * config.held_out_per_family
    return rounds * ((0 if label == "off" else train) + train + held_out)


def job_cost(job: Job) -> int:
    """Graph runs of a job, doubled where more cases are shown (a longer prompt)."""
    config = world_config(world_named(job.world), job.quick)
    wide = job.rule.overrides.get("top_k", 4) > 4
    return tasks_per_run(config, job.rounds, job.rule.label) * (2 if wide else 1)


def run_job(job: Job) -> dict[str, Any]:
    """A job's curves (None for a pass not run), ms per task and planted-case reports."""
    config = world_config(world_named(job.world), job.quick)
    world = World.build(config, job.seed)
    embedder = world_embedder(config.embedder, _threads)
    run = asyncio.run(run_rule(job.rule.label, job.rule.overrides, world, embedder, job.rounds))
    curves = {p: [None if math.isnan(v) else v for v in c] for p, c in run.curves.items()}
    return {"job": job, "curves": curves, "ms_per_task": run.ms_per_task, "planted": run.planted}


def _set_threads(threads: int) -> None:
    global _threads
    _threads = threads


def run_jobs(jobs: Sequence[Job], workers: int) -> Iterator[dict[str, Any]]:
    """Every job's result as it finishes, the longest jobs started first; a pool of `workers`
    processes (MiniLM on one thread each) when more than one."""
    ordered = sorted(jobs, key=job_cost, reverse=True)
    if workers <= 1:
        yield from map(run_job, steps(ordered, "learning_suite", unit="run"))
        return
    context = get_context("spawn")  # never fork a process that holds ONNX and Qdrant threads
    with ProcessPoolExecutor(workers, context, initializer=_set_threads, initargs=(1,)) as pool:
        futures = [pool.submit(run_job, job) for job in ordered]
        for future in steps(as_completed(futures), "learning_suite", total=len(jobs), unit="run"):
            yield future.result()


def estimate_full_run(
    ms: Mapping[str, Mapping[str, float]], labels: Sequence[str]
) -> tuple[int, float]:
    """(graph runs, seconds in one process) of the whole suite with these rules and 5 seeds,
    at the measured ms per task (a rule's mean elsewhere where a world was not measured)."""
    measured = [v for rules in ms.values() for v in rules.values()]
    if not measured:
        return 0, math.nan
    tasks, seconds = 0, 0.0
    for spec in SUITE:
        for label in labels:
            n = FULL_SEEDS * tasks_per_run(spec.config, spec.rounds, label)
            elsewhere = [rules[label] for rules in ms.values() if label in rules]
            speed = ms.get(spec.name, {}).get(label) or float(np.mean(elsewhere or measured))
            tasks, seconds = tasks + n, seconds + n * speed / 1000
    return tasks, seconds
