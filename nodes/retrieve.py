"""retrieve: embed the state s, find N candidate cases, score Q(s, c), read K by mu(c|s).

The node runs when a task starts (its state is the task) and, with gamma > 0, again after each
execute as `retrieve_cycle`: every later cycle is a state of its own (the task and the results
so far, paper Eq. 8) whose cases replace the earlier ones in the planner's prompt. Each run
appends its state vector and the ids it read, so update_q credits each cycle's cases with that
cycle's target.

The namespace's general memories (what a store user or LangMem saved there) are read the same
way: the N nearest, scored by the same estimator, `memories_shown` of them chosen as cases are
(`memory.policy.read.read_memories`). Their version ids join the cycle's shown ids, so update_q
credits them exactly like the cases; they are never contrastive "unread" candidates. A
namespace without memories costs one empty vector search.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from memory.policy.read import read_cases, read_memories
from nodes.deps import MementoDeps, Node
from nodes.schemas import RetrievedCase, ShownMemory, checked_task

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State


def make_retrieve(deps: MementoDeps, *, new_task: bool = True) -> Node:
    """The retrieve node, bound to a case bank and embedder.

    `new_task=True` (the graph's first node) starts the task afresh; `False` retrieves for the
    state of a later cycle of the same task.
    """

    async def retrieve(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        ctx = runtime.context
        task = checked_task(state.task, ctx.max_task_chars)
        vector = await deps.embedder.aembed_query(task if new_task else state.cycle_states[-1])
        estimator = await asyncio.to_thread(deps.estimator, ctx)
        ranked, chosen = await asyncio.to_thread(
            read_cases,
            deps.bank,
            estimator,
            vector,
            namespace=ctx.namespace,
            limit=ctx.num_candidates,
            k=ctx.top_k,
            alpha=ctx.alpha,
            mode=ctx.mode,
            rng=deps.rng_for(ctx),
            exclude_question=task if ctx.exclude_same_question else None,
            min_similarity=ctx.min_similarity,
        )
        memories = [
            ShownMemory.from_ranked(r)
            for r in await asyncio.to_thread(
                read_memories,
                deps.bank,
                estimator,
                vector,
                namespace=ctx.namespace,
                limit=ctx.num_candidates,
                k=ctx.memories_shown,
                alpha=ctx.alpha,
                mode=ctx.mode,
                rng=deps.rng_for(ctx),
                min_similarity=ctx.min_similarity,
            )
        ]
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
        for memory in memories:
            runtime.stream_writer(
                {
                    "event": "memory_chosen",
                    "memory_id": memory.memory_id,
                    "key": memory.key,
                    "q": memory.q,
                    "probability": memory.probability,
                }
            )
        state_vector = [float(x) for x in vector]
        shown = [case.case_id for case in retrieved] + [m.memory_id for m in memories]
        if not new_task:
            return {
                "candidates": candidates,
                "retrieved": retrieved,
                "memories": memories,
                "state_vectors": [state_vector],
                "shown": [shown],
            }
        return {
            **fresh_task_state(task, state.ground_truth, ctx.namespace),
            "task_vector": state_vector,
            "candidates": candidates,
            "retrieved": retrieved,
            "memories": memories,
            "state_vectors": Overwrite([state_vector]),
            "shown": Overwrite([shown]),
        }

    return retrieve


def fresh_task_state(task: str, ground_truth: str | None, namespace: str) -> dict[str, Any]:
    """Every per-task field of the state at its start, so nothing of a thread's earlier task
    (its truth, plans, step results, answer, judgement, namespace) reaches this one; lists with
    an appending reducer are overwritten. `namespace` is the run's, which every later node of
    the task must share (`nodes.run_namespace.check_resumed_namespace`)."""
    return {
        "truth": ground_truth,
        "run_id": uuid.uuid4().hex,
        "namespace": namespace,
        "task_vector": [],
        "candidates": [],
        "retrieved": [],
        "memories": [],
        "plan": None,
        "plans": Overwrite([]),
        "cycle": 0,
        "cycle_states": Overwrite([task]),
        "state_vectors": Overwrite([]),
        "shown": Overwrite([]),
        "step_results": Overwrite([]),
        "final_answer": None,
        "error": None,
        "judgement": None,
        "case_id": None,
        "visits_recorded": 0,
    }
