"""The graph's state: what a caller passes (InputState) and what the nodes add (State).

Every task starts clean, whatever thread it runs on: `ground_truth` is an ephemeral channel
(it holds a value only in the step right after the input, so a task given none never sees the
previous task's), and `retrieve`, the first node, copies it to `truth` and resets every other
per-task field (`nodes.retrieve.fresh_task_state`).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated

from langgraph.channels import EphemeralValue

from nodes.schemas import Judgement, Plan, RetrievedCase, StepResult


@dataclass(kw_only=True)
class InputState:
    """A task, and its ground truth when one is known (then the reward is measured, not guessed)."""

    task: str
    ground_truth: Annotated[str | None, EphemeralValue] = None


@dataclass(kw_only=True)
class State(InputState):
    """Everything one task accumulates; `retrieve` resets it all when a task starts.

    `step_results`, `plans`, `cycle_states`, `state_vectors` and `shown` accumulate across
    replanning cycles (their reducer appends): `state_vectors[t]` is the embedded state s_t of a
    cycle at which cases were retrieved and `shown[t]` the ids of the cases read there. Every
    other field is replaced by the node that sets it.
    """

    truth: str | None = None
    run_id: str = ""
    task_vector: list[float] = field(default_factory=list)
    candidates: list[RetrievedCase] = field(default_factory=list)
    retrieved: list[RetrievedCase] = field(default_factory=list)
    plan: Plan | None = None
    plans: Annotated[list[Plan], operator.add] = field(default_factory=list)
    cycle: int = 0
    cycle_states: Annotated[list[str], operator.add] = field(default_factory=list)
    state_vectors: Annotated[list[list[float]], operator.add] = field(default_factory=list)
    shown: Annotated[list[list[str]], operator.add] = field(default_factory=list)
    step_results: Annotated[list[StepResult], operator.add] = field(default_factory=list)
    final_answer: str | None = None
    error: str | None = None
    judgement: Judgement | None = None
    case_id: str | None = None
    visits_recorded: int = 0
