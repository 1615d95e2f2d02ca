"""Typed records that cross the case bank's boundary (no bare dicts leave `memory`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from memory.bank.provenance import Provenance, is_verified


class Case(BaseModel):
    """One solved (or failed) task: what the agent did and how well it went."""

    id: str
    namespace: str
    question: str
    plan: list[str] = Field(default_factory=list)
    trajectory: list[dict[str, Any]] = Field(default_factory=list)
    answer: str = ""
    reward: float
    judge_rationale: str = ""
    error: str | None = None
    models: dict[str, str] = Field(default_factory=dict)
    run_id: str = ""
    attempts: int = 1
    created_at: float
    updated_at: float
    provenance: Provenance = Field(
        default="unknown", description="Where the outcome comes from (`memory.bank.provenance`)."
    )

    @property
    def succeeded(self) -> bool:
        """A case counts as a success when its reward is at least one half."""
        return self.reward >= 0.5

    @property
    def verified(self) -> bool:
        """Whether its outcome was measured against a truth (see `memory.bank.provenance`)."""
        return is_verified(self.provenance)


class ScoredCase(BaseModel):
    """A case found by vector search, with its cosine similarity to the query."""

    case: Case
    similarity: float


class Visit(BaseModel):
    """One retrieval of a case in a state, with the target it earned (paper Eq. 8/14).

    `retrieved` is False for a candidate that was scored but not read in that step: such visits
    are only written for contrastive credit (see `KernelQ`), and record the reward the step got
    without the case.
    """

    id: str
    case_id: str
    namespace: str
    target: float
    retrieved: bool = True
    run_id: str = ""
    cycle: int = 0
    created_at: float


class VisitMatch(BaseModel):
    """A stored visit near a query state: all the kernel estimator needs."""

    case_id: str
    target: float
    cosine: float
    retrieved: bool = True
    created_at: float = 0.0
