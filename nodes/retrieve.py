"""retrieve: embed the state s, find N candidate cases, score Q(s, c), read K by mu(c|s).

The first cycle's state is the task. With gamma > 0 every later cycle is a state of its own (the
task and the results so far, paper Eq. 8): the graph comes back here after each execute, and the
cases read for that state replace the earlier ones in the planner's prompt. Each call appends
its state vector and the ids it read, so update_q credits each cycle's cases with its target.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime

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
        first = state.cycle == 0
        task = checked_task(state.task, ctx.max_task_chars)
        vector = await deps.embedder.aembed_query(task if first else state.cycle_states[-1])
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
        update: dict[str, Any] = {
            "candidates": candidates,
            "retrieved": retrieved,
            "state_vectors": [[float(x) for x in vector]],
            "shown": [[case.case_id for case in retrieved]],
        }
        if first:
            update |= {
                "run_id": uuid.uuid4().hex,
                "task_vector": update["state_vectors"][0],
                "cycle_states": [task],
            }
        return update

    return retrieve
