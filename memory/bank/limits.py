"""Caps on what one case may hold, so that one runaway answer cannot bloat every later prompt.

A case is capped when stored (`capped_case`, applied by the bank to every write) and its texts
are cut again when shown to a planner (`shown`): a 300k-character answer becomes a few hundred
characters in the prompt and a few thousand in the bank.

Each text has its own cap, and the whole case has one: its JSON is never over
`MAX_CASE_BYTES`, whatever the shape of its trajectory or models (a tool call with 50,000
arguments, a 200k-key value put through the store). The trajectory takes what the other fields
leave, up to `MAX_TRAJECTORY_BYTES`, cut by its shape (`memory.bank.json_budget`).

`capped_case` cuts once: a capped case passes it unchanged. The bank derives a case's id from
the capped case, and callers that need the id first (the LangGraph store's `put`) cap the case
themselves, so the case stored must be the case they derived the id from.
"""

from __future__ import annotations

import itertools
from typing import Any

from memory.bank.json_budget import LEVELS, bounded, cut, json_size
from memory.bank.records import Case

__all__ = ["capped_case", "cut", "shown"]

MAX_QUESTION_CHARS = 20_000
MAX_ANSWER_CHARS = 4_000
MAX_PLAN_STEPS = 20
MAX_PLAN_STEP_CHARS = 500
MAX_TRAJECTORY_STEPS = 20
MAX_TRAJECTORY_FIELD_CHARS = LEVELS[0].chars
MAX_NOTE_CHARS = 2_000  # judge rationale, error
MAX_MODELS = 8
MAX_MODEL_CHARS = 200  # a role's name, a model's name, the run id
MAX_TRAJECTORY_BYTES = 64_000
MAX_CASE_BYTES = 200_000
"""A stored case's JSON at most, in UTF-8 bytes. The texts above can take ~165 KB at worst (four
bytes a character); the trajectory gets what is left, up to MAX_TRAJECTORY_BYTES."""
SHOWN_CHARS = 300
SHOWN_PLAN_STEPS = 8


def capped_case(case: Case) -> Case:
    """The case within the caps above: every text, then the trajectory within what the rest
    of the case leaves of MAX_CASE_BYTES (a copy if anything was cut)."""
    kept = MAX_PLAN_STEPS if len(case.plan) <= MAX_PLAN_STEPS else MAX_PLAN_STEPS - 1
    plan = [cut(step, MAX_PLAN_STEP_CHARS) for step in case.plan[:kept]]
    if len(case.plan) > kept:
        plan.append(f"[{len(case.plan) - kept} more steps cut]")
    models = itertools.islice(case.models.items(), MAX_MODELS)
    texts = case.model_copy(
        update={
            "question": cut(case.question, MAX_QUESTION_CHARS),
            "answer": cut(case.answer, MAX_ANSWER_CHARS),
            "plan": plan,
            "trajectory": [],
            "judge_rationale": cut(case.judge_rationale, MAX_NOTE_CHARS),
            "error": None if case.error is None else cut(case.error, MAX_NOTE_CHARS),
            "models": {cut(k, MAX_MODEL_CHARS): cut(v, MAX_MODEL_CHARS) for k, v in models},
            "run_id": cut(case.run_id, MAX_MODEL_CHARS),
        }
    )
    budget = min(MAX_TRAJECTORY_BYTES, MAX_CASE_BYTES - len(texts.model_dump_json().encode()))
    trajectory = capped_trajectory(case.trajectory, budget)
    return texts.model_copy(update={"trajectory": trajectory})


def capped_trajectory(steps: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The first MAX_TRAJECTORY_STEPS steps, cut by shape until their JSON is within `budget`
    bytes; at the tightest level, the last steps go (a last entry says how many)."""
    steps = steps[:MAX_TRAJECTORY_STEPS]
    for bounds in LEVELS:
        cut_steps = [bounded(step, bounds, depth=1) for step in steps]
        if json_size(cut_steps) <= budget:
            return cut_steps
    dropped = 0
    while cut_steps:
        cut_steps.pop()
        dropped += 1
        note = {"cut": f"{dropped} more steps over the case's size cap"}
        if json_size([*cut_steps, note]) <= budget:
            return [*cut_steps, note]
    return []


def shown(text: str) -> str:
    """A case's text as a planner is shown it: one line, cut to SHOWN_CHARS."""
    return cut(" ".join(text.split()), SHOWN_CHARS)
