"""One retrieval rule through the product's own loop on one seed's world (the learning
benchmarks' shared core: `retrieval_learning` and `learning_suite`).

Every task runs the compiled graph (`graphs.build_graph`: the product's retrieve, plan, judge,
write_case and update_q nodes) over a bank in a temporary folder on the default engine (Qdrant
Edge), embedded as the world says (the product's default, MiniLM, cached as `open_resources`
caches it, unless the world names the lexical embedder); only the chat model is scripted
(`evals.worlds.WorldPlanner`). Per round: a training pass (train mode: cases and visits
written), then evaluation passes (eval mode: top K by Q, nothing written). Success is the true
outcome (the answer equals the task's), whatever a noisy judge said.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from benchmarks.planted_watch import PlantedWatch
from evals.worlds import TRAIN, LexicalEmbedder, Task, World, WorldPlanner, pass_key
from evals.worlds.config import EmbedderName
from graphs import MementoContext, build_graph
from memory import Case, CaseBank, embedding_dim
from nodes import MementoDeps

NAMESPACE = "bench"
RULE_RETRIEVALS = {"similarity": "similarity", "parametric": "parametric"}
"""Labels that name a retrieval by themselves (`kernel`, the default, needs none)."""


def parse_method(spec: str) -> tuple[str, dict[str, Any]]:
    """'label' or 'label:field=value,...' -> (label, context overrides); a label naming a
    retrieval (`similarity`, `parametric`) sets it. A bad field or value exits with a message."""
    label, _, settings = spec.partition(":")
    overrides: dict[str, Any] = {}
    if label in RULE_RETRIEVALS:
        overrides["retrieval"] = RULE_RETRIEVALS[label]
    for item in filter(None, settings.split(",")):
        key, _, value = item.partition("=")
        if key not in MementoContext.field_names():
            raise SystemExit(f"unknown context field {key!r} in method {spec!r}")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    MementoContext(store=":memory:", **overrides)  # a bad value fails before any run
    return label, overrides


@cache
def world_embedder(name: EmbedderName, threads: int | None = None) -> Embeddings:
    """The embedder a world names, one per process (the MiniLM model loads once)."""
    if name == "lexical":
        return LexicalEmbedder()
    from memory.embeddings.cache import CachedEmbedder
    from memory.embeddings.minilm import MiniLMEmbedder

    return CachedEmbedder(MiniLMEmbedder(threads=threads))


@dataclass
class RuleRun:
    """A rule's curves on one seed: success per phase and round (NaN: a pass not run), the
    graph's milliseconds per task, and what the policy did with planted cases."""

    curves: dict[str, list[float]]
    ms_per_task: float | None = None
    planted: list[dict[str, Any]] = field(default_factory=list)


async def run_rule(
    label: str,
    overrides: dict[str, Any],
    world: World,
    embedder: Embeddings,
    rounds: int,
    watch: PlantedWatch | None = None,
) -> RuleRun:
    """Success per phase and round for one rule on one seed's world.

    `off` is eval mode on an empty bank (nothing shown, nothing seeded or planted, no training
    pass); `oracle` is the right approach's success on the same draws (no graph). `watch` sees
    the planted cases (a fresh one unless given: `benchmarks.planted_trace` prints its trace).
    """
    if label == "oracle":
        rounds_ = range(1, rounds + 1)
        return RuleRun({phase: [world.oracle(phase, r) for r in rounds_] for phase in world.phases})
    memory_on = label != "off"
    with tempfile.TemporaryDirectory(prefix="memento-learning-") as folder:
        bank = CaseBank(str(Path(folder) / "bank"), dim=embedding_dim(embedder))
        try:
            planner = WorldPlanner(world=world)
            deps = MementoDeps(
                bank=bank,
                embedder=embedder,
                chat_model=lambda ctx, role: planner,
                rng=np.random.default_rng(world.seed),
            )
            graph = build_graph(deps)
            context = {"store": folder, "base_url": "http://127.0.0.1:9/v1", **overrides}
            if memory_on and world.config.seeds_bank:
                _write(bank, embedder, world.seed_cases(NAMESPACE))
            watch = PlantedWatch() if watch is None else watch
            curves: dict[str, list[float]] = {phase: [] for phase in world.phases}
            begun, ran = time.perf_counter(), 0
            for round_ in range(1, rounds + 1):
                if memory_on and world.planted and round_ == world.config.planted_before_round:
                    planted = _write(bank, embedder, world.planted_cases(NAMESPACE))
                    watch.ids = {case.id for case in planted}
                for phase in world.phases:
                    if not memory_on and phase == TRAIN:
                        curves[phase].append(math.nan)
                        continue
                    mode = "train" if phase == TRAIN else "eval"
                    ctx = MementoContext(namespace=NAMESPACE, mode=mode, **context)
                    planner.start_pass(round_, phase)
                    tasks = world.tasks(phase, round_)
                    done = [await _run_task(graph, ctx, world, t, planner, watch) for t in tasks]
                    curves[phase].append(float(np.mean(done)))
                    ran += len(tasks)
            ms = round(1000 * (time.perf_counter() - begun) / max(ran, 1), 2)
            watch.note_credit(bank)
            return RuleRun(curves, ms, watch.report())
        finally:
            bank.close()


def _write(bank: CaseBank, embedder: Embeddings, cases: list[Case]) -> list[Case]:
    vectors = embedder.embed_documents([case.question for case in cases])
    return bank.add_many(list(zip(cases, vectors, strict=True)))


async def _run_task(
    graph: Any,
    ctx: MementoContext,
    world: World,
    task: Task,
    planner: WorldPlanner,
    watch: PlantedWatch,
) -> float:
    """1.0 when the task's answer is right; retrievals seen by the planted-case watch."""
    truth = world.judged_truth(task, pass_key(planner.round_, planner.phase))
    given = {"task": task.question, "ground_truth": truth}
    retrievals, out = [], {}
    async for mode, chunk in graph.astream(given, context=ctx, stream_mode=["updates", "values"]):
        if mode == "values":
            out = chunk
            continue
        for node, update in chunk.items():
            if node.startswith("retrieve") and update:
                read = {case["case_id"] for case in update["retrieved"]}
                retrievals.append((update["candidates"], read))
    right = out.get("final_answer") == task.answer
    if watch.ids:
        reward = (out.get("judgement") or {}).get("reward")
        run_id = out.get("run_id", "")
        for candidates, read in retrievals:
            watch.see(planner.round_, planner.phase, candidates, read, not reward, run_id)
    return float(right)
