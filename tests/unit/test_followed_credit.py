"""Followed credit: a run's reward goes only to the shown cases whose plan its plan followed."""

from __future__ import annotations

import time

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from memory import Case, CaseBank
from memory.policy.followed import FOLLOW_SIMILARITY, credited_cases, followed_cases
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, run_task, scripted, tool_call

TASK = "How much does it cost to ship a 12 kg parcel to Lyon?"


class _Fixed(Embeddings):
    """Each text's vector as given: the cosine between plans is set by the test."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]


def test_a_case_is_followed_by_a_step_word_for_word_case_and_spacing_aside() -> None:
    plans = {"table": ["Look up the  RATE table"], "guess": ["Guess from the weight"], "none": []}
    assert followed_cases(["look up the rate table"], plans) == {"table"}
    assert followed_cases([], plans) == set()
    assert followed_cases(["   "], plans) == set()


def test_a_step_copied_with_another_tool_still_follows_the_case() -> None:
    """A step's line ends with its tool (`PlanStep.line`); SmolLM2 copied steps and swapped the
    tool: the copy is still the case's step. Words in brackets inside a step still count."""
    plans = {
        "table": ["Look up the rate table [calculate]"],
        "range": ["Check [0, 10] [calculate]"],
    }
    assert followed_cases(["Look up the rate table [run_python]"], plans) == {"table"}
    assert followed_cases(["Look up the rate table"], plans) == {"table"}
    assert followed_cases(["Check [0, 11]"], plans) == set()


def test_a_reworded_plan_is_followed_when_close_in_meaning_and_not_below_the_threshold() -> None:
    run, near, far = "Check the carrier's rates", "Look up the rate table", "Guess the weight"
    below = np.sqrt(1 - (FOLLOW_SIMILARITY - 0.05) ** 2)
    embedder = _Fixed({
        run: [1.0, 0.0], near: [0.9, np.sqrt(1 - 0.81)], far: [FOLLOW_SIMILARITY - 0.05, below]
    })  # fmt: skip
    plans = {"near": [near], "far": [far]}
    assert followed_cases([run], plans, embedder) == {"near"}
    assert followed_cases([run], plans) == set()  # without an embedder only exact steps count


def test_a_plan_that_followed_none_credits_only_the_cases_of_the_plan_nearest_in_meaning() -> None:
    """Reworded past the match, or the planner's own idea: the nearest plan is the likeliest
    it reworded, and crediting its cases, not all, keeps a lucky guess's success off the rest.
    Where nothing tells which is nearest, every case is credited (shared)."""
    run, near, far = "Check the carrier's rates", "Look up the rate table", "Guess the weight"
    vectors = {run: [1.0, 0.0], near: [0.6, 0.8], far: [0.3, np.sqrt(1 - 0.09)]}
    embedder = _Fixed({**vectors, f"{near.upper()}.": [0.59, 0.81]})
    plans = {"far": [far], "near": [near], "none": []}
    assert followed_cases([run], plans, embedder) == set()
    assert credited_cases([run], plans, embedder) == {"near"}
    assert credited_cases([run], {"far": [far], "near": [near]}) == {"far", "near"}  # no embedder
    assert credited_cases(["  "], plans, embedder) == {"far", "near", "none"}  # no steps
    assert credited_cases([run], {"none": []}, embedder) == {"none"}  # no case has a plan
    assert credited_cases([near], plans) == {"near"}  # followed word for word: only it
    twins = {**plans, "twin": [f"{near.upper()}."]}  # the same plan: the match cannot tell
    assert credited_cases([run], twins, embedder) == {"near", "twin"}


STEP = [{"description": "look up the rate table", "tool": None}]


OWN_STEP = [{"description": "guess a price from its weight and size", "tool": None}]
"""Follows neither case (cosine .53 with "Guess from the weight", 0 with the rate table)."""


@pytest.mark.parametrize(
    ("credit", "steps", "credited"),
    [
        ("followed", STEP, ["table"]),
        (None, STEP, ["table"]),  # the default
        ("shared", STEP, ["guess", "table"]),
        ("followed", [], ["guess", "table"]),  # an answer at once names no case: shared
        ("followed", OWN_STEP, ["guess"]),  # followed none: the nearest
    ],
)
async def test_the_graph_credits_only_the_case_whose_plan_the_run_followed(
    graph_for,
    bank: CaseBank,
    embedder: HashingEmbedder,
    credit: str | None,
    steps: list[dict[str, str | None]],
    credited: list[str],
) -> None:
    ids = {}
    for name, step in (("table", "Look up the rate table"), ("guess", "Guess from the weight")):
        now = time.time()
        question = f"{TASK.replace('12', '13')} ({name})"
        case = Case(
            id="", namespace="default", question=question, plan=[step], answer="40",
            reward=1.0, created_at=now, updated_at=now,
        )  # fmt: skip
        ids[bank.add(case, embedder.embed_query(case.question)).id] = name
    plan = tool_call("Plan", steps=steps, final_answer="40")
    result = await run_task(
        graph_for(scripted(plan)),
        {"task": TASK, "ground_truth": "40"},
        context=make_context(top_k=2, **({"credit": credit} if credit else {})),
    )
    assert sorted(ids[c.case_id] for c in result["retrieved"]) == ["guess", "table"]
    visits = [v for v in bank.list_visits() if v.run_id == result["run_id"]]
    assert sorted(ids[v.case_id] for v in visits) == credited
    assert all(v.target == 1.0 for v in visits)
