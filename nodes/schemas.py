"""Records the nodes produce: the plan, step results with their tool calls, the judgement.

They live beside the nodes (not in `graphs`) so nodes can build them without importing the
graph; `nodes.state` composes them into the graph state.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from memory.policy.read import RankedCase, RankedMemory


class PlanStep(BaseModel):
    """One step of a plan."""

    description: str = Field(description="What the executor should do in this step.")
    tool: str | None = Field(
        default=None, description="Name of the tool to use for this step, if one fits."
    )

    @property
    def line(self) -> str:
        """The step as a case keeps it, and as followed credit compares it."""
        return f"{self.description} [{self.tool}]" if self.tool else self.description


class Plan(BaseModel):
    """The planner's reply: steps to run next, or the final answer when it knows it."""

    steps: list[PlanStep] = Field(
        default_factory=list, description="Steps to run next; empty when final_answer is given."
    )
    final_answer: str | None = Field(
        default=None, description="The final answer to the task, once it is known."
    )

    @field_validator("steps", mode="before")
    @classmethod
    def _steps_may_be_strings(cls, value: Any) -> Any:
        """Small models often write steps as plain strings; accept them as descriptions."""
        if isinstance(value, list):
            return [{"description": v} if isinstance(v, str) else v for v in value]
        return value


class FinalAnswer(BaseModel):
    """The planner's answer when no more steps may be run."""

    answer: str = Field(description="The final answer to the task, as short as possible.")


class ToolCallRecord(BaseModel):
    """One tool call the executor made and what came back (truncated)."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: str = ""
    error: bool = False
    seconds: float = 0.0


class StepResult(BaseModel):
    """What running one plan step produced."""

    cycle: int
    description: str
    tool: str | None = None
    output: str = ""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    error: str | None = None


class RetrievedCase(BaseModel):
    """A candidate case as the policy saw it: similarity, Q and probability under mu."""

    case_id: str
    question: str
    answer: str
    reward: float
    similarity: float
    q: float
    probability: float
    plan: list[str] = Field(default_factory=list)
    provenance: str = "unknown"

    @classmethod
    def from_ranked(cls, ranked: RankedCase) -> RetrievedCase:
        """The policy's view of a ranked case, as the state and the prompts keep it."""
        case = ranked.case
        return cls(
            case_id=case.id,
            question=case.question,
            answer=case.answer,
            reward=case.reward,
            similarity=ranked.similarity,
            q=ranked.q,
            probability=ranked.probability,
            plan=case.plan,
            provenance=case.provenance,
        )


class ShownMemory(BaseModel):
    """A general memory shown to the planner (a note a user or a tool saved to the namespace,
    never checked), with its similarity, Q and probability as the policy saw it."""

    memory_id: str
    """The version's id: what its visits credit (`memory.bank.memory_items`)."""
    key: str
    value: dict[str, Any]
    similarity: float
    q: float
    probability: float

    @classmethod
    def from_ranked(cls, ranked: RankedMemory) -> ShownMemory:
        memory = ranked.memory
        return cls(
            memory_id=memory.id,
            key=memory.key,
            value=memory.value,
            similarity=ranked.similarity,
            q=ranked.q,
            probability=ranked.probability,
        )


class Judgement(BaseModel):
    """The reward of a task; reward None means unjudged (nothing is learned from it)."""

    reward: float | None
    method: str
    rationale: str = ""


def describe_results(results: list[StepResult]) -> str:
    """Step results as numbered lines, the way the planner and the judge read them."""
    return "\n".join(
        f"{i}. {r.description} -> {r.error or r.output}" for i, r in enumerate(results, start=1)
    )


class TaskInputError(ValueError):
    """The task text cannot be run: empty, too long, or not valid UTF-8."""


def checked_task(text: str, max_chars: int) -> str:
    """The task, stripped, or a TaskInputError that says what is wrong with it."""
    task = text.strip()
    if not task:
        raise TaskInputError("the task is empty: give a question or instruction to solve")
    if len(task) > max_chars:
        raise TaskInputError(
            f"the task is {len(task)} characters long; the limit is {max_chars} "
            "(context field max_task_chars)"
        )
    try:
        task.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TaskInputError(
            f"the task is not valid UTF-8 text (undecodable byte at character {exc.start})"
        ) from None
    return task
