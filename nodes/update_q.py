"""update_q: record a visit (s_t, c_k, y_t) for every case read at each cycle, and train Q.

With gamma = 0 (default) this is the paper's single-step update (Eq. 14-15): one visit per case
read at the task's state s, with the task's reward as target. With gamma > 0 every planning
cycle t is a state s_t (the task plus the results so far) that retrieved its own cases, and its
target y_t = r_t + gamma * alpha * log sum_c' exp(Q(s_{t+1}, c') / alpha) (Eq. 8), r_t = 0
before the last cycle, goes to the cases read at s_t. The general memories shown beside them
are ids in the same lists, credited alike. Store searches made inside the run (a tool's
`store.search`, saved for the run by `nodes.node_runnable`) get a visit each, the run's reward as
target (`memory.policy.write.credit_retrievals`, once). With `credit="followed"` (the default)
a cycle's cases earn its target only where its plan followed theirs (`memory.policy.followed`;
a plan that followed none of them credits those of the plan nearest in meaning). Nothing is
learned in eval mode or from an unjudged task.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import numpy as np
from langgraph.runtime import Runtime

from memory import QEstimator, soft_q_targets
from memory.adapters.store_policy import current_run
from memory.policy.followed import credited_cases
from memory.policy.write import credit_retrievals, record_visits
from nodes.deps import MementoDeps, Node

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State


def make_update_q(deps: MementoDeps) -> Node:
    """The update_q node, bound to the case bank and estimators."""

    async def update_q(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        judgement = state.judgement
        if ctx.mode == "eval" or judgement is None or judgement.reward is None:
            return {"visits_recorded": 0}
        estimator = await asyncio.to_thread(deps.estimator, ctx)
        searched = await asyncio.to_thread(
            credit_retrievals,
            deps.bank,
            estimator,
            namespace=None,
            run_id=current_run() or state.run_id,
            reward=judgement.reward,
        )
        cycles = len(state.shown) if ctx.gamma > 0 else 1
        shown, states = state.shown[:cycles], state.state_vectors[:cycles]
        if ctx.credit == "followed":
            shown = await asyncio.to_thread(_followed_only, deps, state, shown)
        if not any(shown):
            return {"visits_recorded": searched}
        next_q = [await _state_q_values(deps, estimator, s, ctx) for s in states[1:]]
        rewards = [0.0] * (len(states) - 1) + [judgement.reward]
        targets = soft_q_targets(rewards, next_q, gamma=ctx.gamma, alpha=ctx.alpha)
        unread = []
        if estimator.credits_unread:  # record_visits drops them for any other estimator
            read = set(shown[0])
            unread = [c.case_id for c in state.candidates if c.case_id not in read]
        recorded = await asyncio.to_thread(
            record_visits,
            deps.bank,
            estimator,
            shown,
            states,
            targets,
            namespace=ctx.namespace,
            run_id=state.run_id,
            unread_ids=unread,
        )
        recorded += searched
        runtime.stream_writer({"event": "q_updated", "visits": recorded, "targets": targets})
        return {"visits_recorded": recorded}

    return update_q


def _followed_only(deps: MementoDeps, state: State, shown: list[list[str]]) -> list[list[str]]:
    """Each cycle's shown ids less the cases its plan did not follow (`credit="followed"`;
    where it followed none, all but the nearest plan's: `memory.policy.followed.credited_cases`).

    Credited as with shared credit: general memories, which hold no plan, and every case of a
    cycle whose plan says nothing of whom it followed (a plan without steps: an answer at once)."""
    kept = []
    for cycle, ids in enumerate(shown):
        plan = state.plans[cycle] if cycle < len(state.plans) else state.plan
        steps = [step.line for step in plan.steps] if plan else []
        plans = {case.id: case.plan for case in deps.bank.get_many(ids)} if steps else {}
        credited = credited_cases(steps, plans, deps.embedder)
        kept.append([i for i in ids if i not in plans or i in credited])
    return kept


async def _state_q_values(
    deps: MementoDeps, estimator: QEstimator, vector: list[float], ctx: MementoContext
) -> np.ndarray:
    """Q(s', c') over the candidates the bank offers in state s': what their visits say
    (`learned`), not the score, which may hold their similarity too."""
    found = await asyncio.to_thread(
        deps.bank.search, vector, namespace=ctx.namespace, limit=ctx.num_candidates
    )
    state = np.asarray(vector, dtype=np.float64)
    return (await asyncio.to_thread(estimator.score_parts, state, found)).learned
