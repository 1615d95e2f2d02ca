"""The graph's state: what a caller passes (InputState), what the nodes add (State), and what
a caller gets back (Output).

Every task starts clean, whatever thread it runs on: `ground_truth` is an ephemeral channel
(it holds a value only in the step right after the input, so a task given none never sees the
previous task's), and `retrieve`, the first node, copies it to `truth` and resets every other
per-task field (`nodes.retrieve.fresh_task_state`).

The schemas are pydantic models so that checkpointed channels hold only JSON-native values:
nodes return their records dumped (`nodes.node_runnable`) and LangGraph validates them back into
`Plan`, `Judgement`, ... when a node reads the state. Any checkpointer (an `InMemorySaver()`, a
SQLite file, the dev server's) then round-trips the state with no "unregistered type" warning,
strict msgpack or not.
"""

from __future__ import annotations

import operator
from typing import Annotated

from langgraph.channels import EphemeralValue
from pydantic import BaseModel, Field

from nodes.schemas import Judgement, Plan, RetrievedCase, ShownMemory, StepResult


class InputState(BaseModel):
    """A task, and its ground truth when one is known (then the reward is measured, not guessed)."""

    task: str
    ground_truth: Annotated[str | None, EphemeralValue] = None


class Output(BaseModel):
    """What a run returns (`invoke`, `runs.wait`, `values` events): the answer, its judgement
    (reward, method, rationale; reward None is unjudged), the written case's id (None in eval
    mode or when unjudged), the cases and general memories shown to the planner at the last
    retrieval with their similarity, Q and probability, the step results, the run id that the
    case and its visits carry, the visits recorded, and the error that ended the task, if one
    did.

    Values arrive JSON-native (dicts, as over HTTP): `Output.model_validate(result)` gives
    the typed records. Internals (embeddings, candidates, per-cycle states, the ground truth)
    stay in the state: read them with `graph.get_state(config)` on a checkpointed thread.
    """

    task: str = ""
    final_answer: str | None = None
    judgement: Judgement | None = None
    case_id: str | None = None
    retrieved: list[RetrievedCase] = Field(default_factory=list)
    memories: list[ShownMemory] = Field(default_factory=list)
    step_results: Annotated[list[StepResult], operator.add] = Field(default_factory=list)
    run_id: str = ""
    visits_recorded: int = 0
    error: str | None = None


class State(InputState):
    """Everything one task accumulates; `retrieve` resets it all when a task starts.

    `step_results`, `plans`, `cycle_states`, `state_vectors` and `shown` accumulate across
    replanning cycles (their reducer appends): `state_vectors[t]` is the embedded state s_t of a
    cycle at which cases were retrieved and `shown[t]` the ids of the cases and general
    memories read there (`retrieved` and `memories` hold the last cycle's). Every other field
    is replaced by the node that sets it.
    """

    truth: str | None = None
    run_id: str = ""
    namespace: str = ""
    """The bank namespace the task started in: a resume in another one is refused."""
    task_vector: list[float] = Field(default_factory=list)
    candidates: list[RetrievedCase] = Field(default_factory=list)
    retrieved: list[RetrievedCase] = Field(default_factory=list)
    memories: list[ShownMemory] = Field(default_factory=list)
    plan: Plan | None = None
    plans: Annotated[list[Plan], operator.add] = Field(default_factory=list)
    cycle: int = 0
    cycle_states: Annotated[list[str], operator.add] = Field(default_factory=list)
    state_vectors: Annotated[list[list[float]], operator.add] = Field(default_factory=list)
    shown: Annotated[list[list[str]], operator.add] = Field(default_factory=list)
    step_results: Annotated[list[StepResult], operator.add] = Field(default_factory=list)
    final_answer: str | None = None
    error: str | None = None
    judgement: Judgement | None = None
    case_id: str | None = None
    visits_recorded: int = 0
