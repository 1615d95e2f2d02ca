"""Caps on what one case may hold, so that one runaway answer cannot bloat every later prompt.

A case is capped when stored (`capped_case`, applied by the bank to every write) and its texts
are cut again when shown to a planner (`shown`): a 300k-character answer becomes a few hundred
characters in the prompt and a few thousand in the bank.
"""

from __future__ import annotations

from typing import Any

from memory.bank.records import Case

MAX_QUESTION_CHARS = 20_000
MAX_ANSWER_CHARS = 4_000
MAX_PLAN_STEPS = 20
MAX_PLAN_STEP_CHARS = 500
MAX_TRAJECTORY_STEPS = 20
MAX_TRAJECTORY_FIELD_CHARS = 1_000
MAX_NOTE_CHARS = 2_000  # judge rationale, error
SHOWN_CHARS = 300
SHOWN_PLAN_STEPS = 8


def cut(text: str, limit: int) -> str:
    """Text cut to `limit` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut {len(text) - limit} of {len(text)} characters]"


def capped_case(case: Case) -> Case:
    """The case with every text within the storage caps above (a copy if anything was cut)."""
    plan = [cut(step, MAX_PLAN_STEP_CHARS) for step in case.plan[:MAX_PLAN_STEPS]]
    if len(case.plan) > MAX_PLAN_STEPS:
        plan.append(f"[{len(case.plan) - MAX_PLAN_STEPS} more steps cut]")
    return case.model_copy(
        update={
            "question": cut(case.question, MAX_QUESTION_CHARS),
            "answer": cut(case.answer, MAX_ANSWER_CHARS),
            "plan": plan,
            "trajectory": [_capped(step) for step in case.trajectory[:MAX_TRAJECTORY_STEPS]],
            "judge_rationale": cut(case.judge_rationale, MAX_NOTE_CHARS),
            "error": None if case.error is None else cut(case.error, MAX_NOTE_CHARS),
        }
    )


def _capped(value: Any) -> Any:
    if isinstance(value, str):
        return cut(value, MAX_TRAJECTORY_FIELD_CHARS)
    if isinstance(value, list):
        return [_capped(item) for item in value[:MAX_TRAJECTORY_STEPS]]
    if isinstance(value, dict):
        return {key: _capped(item) for key, item in value.items()}
    return value


def shown(text: str) -> str:
    """A case's text as a planner is shown it: one line, cut to SHOWN_CHARS."""
    return cut(" ".join(text.split()), SHOWN_CHARS)
