"""retrieve: embed the task (state s), find N candidate cases, score Q(s, c), read K by mu(c|s)."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
from langgraph.runtime import Runtime

from memory import ScoredCase, select_cases, soft_policy
from nodes.deps import MementoDeps, Node
from nodes.schemas import RetrievedCase

if TYPE_CHECKING:
    from graphs.context import MementoContext
    from graphs.state import State


def make_retrieve(deps: MementoDeps) -> Node:
    """The retrieve node, bound to a case bank and embedder."""

    async def retrieve(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        task = state.task.strip()
        if not task:
            raise ValueError("the task is empty: give a question or instruction to solve")
        vector = await deps.embedder.aembed_query(task)
        found: list[ScoredCase] = await asyncio.to_thread(
            deps.bank.search,
            vector,
            namespace=ctx.namespace,
            limit=ctx.num_candidates,
            exclude_question=task if ctx.exclude_same_question else None,
        )
        estimator = deps.estimator(ctx)
        q_values = await asyncio.to_thread(estimator.q_values, np.asarray(vector), found)
        probabilities = soft_policy(q_values, ctx.alpha)
        # The similarity baseline is plain top-K in both modes (the paper's non-parametric CBR).
        mode = "eval" if ctx.retrieval == "similarity" else ctx.mode
        chosen = select_cases(q_values, ctx.top_k, ctx.alpha, mode, deps.rng_for(ctx))
        candidates = [
            _as_retrieved(scored, float(q), float(p))
            for scored, q, p in zip(found, q_values, probabilities, strict=True)
        ]
        retrieved = [candidates[i] for i in chosen]
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
            "run_id": uuid.uuid4().hex,
            "task_vector": [float(x) for x in vector],
            "candidates": candidates,
            "retrieved": retrieved,
            "cycle_states": [task],
        }

    return retrieve


def _as_retrieved(scored: ScoredCase, q: float, probability: float) -> RetrievedCase:
    case = scored.case
    return RetrievedCase(
        case_id=case.id,
        question=case.question,
        answer=case.answer,
        reward=case.reward,
        similarity=scored.similarity,
        q=q,
        probability=probability,
        plan=case.plan,
    )
