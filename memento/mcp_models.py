"""What `memento mcp`'s case tools return: pydantic models, so each tool has an output schema
and its result comes as structured content beside the same JSON as text."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from memory import Case
from memory.policy.sampling import Mode
from nodes.schemas import RetrievedCase


class RetrievedCases(BaseModel):
    """What `retrieve_cases` returns: the id to report the outcome with, and the cases read."""

    retrieval_id: str = Field(description="Pass it to report_outcome once the task is done.")
    namespace: str = Field(description="Whose memory the cases come from.")
    mode: Mode
    cases: list[RetrievedCase] = Field(
        description="The cases read, with their similarity, learned Q and probability under mu."
    )


class Outcome(BaseModel):
    """What `report_outcome` returns: the case written (if any) and the visits recorded."""

    retrieval_id: str
    namespace: str = Field(description="Where the case was written: the retrieval's namespace.")
    kind: Literal["cases", "memories"] = Field(
        default="cases",
        description="What the retrieval read: cases (the task is written as a case) or "
        "memories (search_memories: the memories shown are credited, no case is written).",
    )
    case_id: str | None = Field(
        description="The case written; none for an eval or a memories retrieval."
    )
    reward: float | None
    method: str = Field(description="How the reward was set: 'self' (given) or the scorer.")
    provenance: str | None = Field(
        description="ground_truth (verified), self_judged or quarantined; none when not written."
    )
    visits: int = Field(description="Visits recorded by this call (0 when already reported).")
    already_reported: bool = False


class CaseSummary(BaseModel):
    """A case in a list: enough to recognise it; `get_case` shows the rest."""

    case_id: str
    question: str
    answer: str
    reward: float
    provenance: str
    attempts: int
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, case: Case) -> CaseSummary:
        return cls(
            case_id=case.id,
            question=case.question,
            answer=case.answer,
            reward=case.reward,
            provenance=case.provenance,
            attempts=case.attempts,
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


class FoundCase(CaseSummary):
    """A case found by `search_cases`, with its cosine similarity to the query."""

    similarity: float


class FoundCases(BaseModel):
    """What `search_cases` returns: the nearest cases, best first (nothing is recorded)."""

    namespace: str
    cases: list[FoundCase]


class CaseList(BaseModel):
    """What `list_cases` returns: one page of the namespace's cases, newest first."""

    namespace: str
    total: int = Field(description="Cases in the namespace.")
    offset: int
    cases: list[CaseSummary]


class CaseDetail(BaseModel):
    """What `get_case` returns: the whole case, and how many visits credit it."""

    case_id: str
    namespace: str
    question: str
    plan: list[str]
    trajectory: list[dict[str, Any]]
    answer: str
    reward: float
    judge_rationale: str
    error: str | None
    models: dict[str, str]
    run_id: str
    attempts: int
    created_at: float
    updated_at: float
    provenance: str
    visits: int = Field(description="Visits (retrievals credited) its learned Q is made of.")

    @classmethod
    def of(cls, case: Case, visits: int) -> CaseDetail:
        fields = case.model_dump(exclude={"id"})
        return cls(case_id=case.id, visits=visits, **fields)


class DeletedCase(BaseModel):
    """What `delete_case` returns: the case gone and the visits that went with it."""

    case_id: str
    namespace: str
    visits: int = Field(description="Its visits, deleted with it.")
