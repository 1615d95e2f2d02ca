"""retrieve: embed the task (state s), find N candidate cases, score Q(s, c), read K by mu(c|s)."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from memory.retrieval import choose_cases, rank_cases
from nodes.deps import MementoDeps, Node
from nodes.schemas import RetrievedCase, checked_task

if TYPE_CHECKING:
    from graphs.context import MementoContext
    from graphs.state import State


def make_retrieve(deps: MementoDeps) -> Node:
    """The retrieve node, bound to a case bank and embedder."""

    async def retrieve(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        task = checked_task(state.task, ctx.max_task_chars)
        vector = await deps.embedder.aembed_query(task)
        # A parametric estimator loads its weights from disk on first use: off the event loop.
        estimator = await asyncio.to_thread(deps.estimator, ctx)
        ranked = await asyncio.to_thread(
            rank_cases,
            deps.bank,
            estimator,
            vector,
            namespace=ctx.namespace,
            limit=ctx.num_candidates,
            alpha=ctx.alpha,
            exclude_question=task if ctx.exclude_same_question else None,
            min_similarity=ctx.min_similarity,
        )
        # The similarity baseline is plain top-K in both modes (the paper's non-parametric CBR).
        mode = "eval" if ctx.retrieval == "similarity" else ctx.mode
        chosen = choose_cases(ranked, ctx.top_k, alpha=ctx.alpha, mode=mode, rng=deps.rng_for(ctx))
        candidates = [RetrievedCase.from_ranked(r) for r in ranked]
        retrieved = [RetrievedCase.from_ranked(r) for r in chosen]
        runtime.stream_writer({"event": "candidates", "found": len(candidates)})
        for case in retrieved:
            runtime.stream_writer(
                {
                    "event": "case_chosen",
                    "case_id": case.case_id,
                    "question": case.question,
                    "q": case.q,
                    "probability": case.probability,
                }
            )
        return {
            **fresh_task_state(task, state.ground_truth),
            "task_vector": [float(x) for x in vector],
            "candidates": candidates,
            "retrieved": retrieved,
        }

    return retrieve


def fresh_task_state(task: str, ground_truth: str | None) -> dict[str, Any]:
    """Every per-task field of the state at its start, so nothing of a thread's earlier task
    (its truth, plans, step results, answer, judgement) reaches this one; lists with an
    appending reducer are overwritten."""
    return {
        "truth": ground_truth,
        "run_id": uuid.uuid4().hex,
        "task_vector": [],
        "candidates": [],
        "retrieved": [],
        "plan": None,
        "plans": Overwrite([]),
        "cycle": 0,
        "cycle_states": Overwrite([task]),
        "step_results": Overwrite([]),
        "final_answer": None,
        "error": None,
        "judgement": None,
        "case_id": None,
        "visits_recorded": 0,
    }
