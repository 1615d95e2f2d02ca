"""update_q: record a visit (s, c_k, target) for every retrieved case and train the estimator.

With gamma = 0 (default) this is the paper's single-step update (Eq. 14-15): one visit per
retrieved case at the task's state s, with the task's reward as target. With gamma > 0 every
planning cycle t is a state s_t (the task plus the results so far) and its target is
r_t + gamma * alpha * log sum_c' exp(Q(s_{t+1}, c') / alpha) (Eq. 8), r_t = 0 before the last
cycle. Nothing is learned in eval mode or from an unjudged task.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import numpy as np
from langgraph.runtime import Runtime

from memory import QEstimator, soft_q_targets
from memory.retrieval import record_visits
from nodes.deps import MementoDeps, Node

if TYPE_CHECKING:
    from graphs.context import MementoContext
    from graphs.state import State


def make_update_q(deps: MementoDeps) -> Node:
    """The update_q node, bound to the case bank, embedder and estimators."""

    async def update_q(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        judgement = state.judgement
        if ctx.mode == "eval" or judgement is None or judgement.reward is None:
            return {"visits_recorded": 0}
        if not state.retrieved:
            return {"visits_recorded": 0}
        states = await _cycle_states(deps, state, ctx)
        estimator = await asyncio.to_thread(deps.estimator, ctx)
        next_q = [await _state_q_values(deps, estimator, s, ctx) for s in states[1:]]
        rewards = [0.0] * (len(states) - 1) + [judgement.reward]
        targets = soft_q_targets(rewards, next_q, gamma=ctx.gamma, alpha=ctx.alpha)
        recorded = await asyncio.to_thread(
            record_visits,
            deps.bank,
            estimator,
            [case.case_id for case in state.retrieved],
            states,
            targets,
            namespace=ctx.namespace,
            run_id=state.run_id,
        )
        runtime.stream_writer({"event": "q_updated", "visits": recorded, "targets": targets})
        return {"visits_recorded": recorded}

    return update_q


async def _cycle_states(deps: MementoDeps, state: State, ctx: MementoContext) -> list[np.ndarray]:
    """s_0 is the task's embedding; with gamma > 0 each later cycle's state is embedded too."""
    first = np.asarray(state.task_vector, dtype=np.float64)
    later = state.cycle_states[1:] if ctx.gamma > 0 else []
    if not later:
        return [first]
    vectors = await deps.embedder.aembed_documents(later)
    return [first, *(np.asarray(v, dtype=np.float64) for v in vectors)]


async def _state_q_values(
    deps: MementoDeps, estimator: QEstimator, vector: np.ndarray, ctx: MementoContext
) -> np.ndarray:
    """Q(s', c') over the candidates the bank offers in state s'."""
    query = [float(x) for x in vector]
    found = await asyncio.to_thread(
        deps.bank.search, query, namespace=ctx.namespace, limit=ctx.num_candidates
    )
    return await asyncio.to_thread(estimator.q_values, vector, found)
