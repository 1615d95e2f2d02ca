"""Which of the cases shown to a run its plan followed: the cases `credit="followed"` credits.

Shared credit gives every case shown to a run the run's reward, so a wrong "success" shown
beside right ones is credited with their success and a failure case read beside a success
keeps a high Q (the learning suite's planted and look-alike worlds; benchmarks/README.md,
"Followed credit"). Followed credit gives the reward only to the cases whose plan the run's
plan repeats: a step the same word for word (case, spacing, punctuation, the step's number and
its tool aside: a copy renumbered, or run with another tool, still follows the case), or the
whole plan close in meaning (cosine >= `FOLLOW_SIMILARITY` under the bank's embedder). Where
a plan follows none of the shown cases the reward goes to the cases of the plan nearest it in
meaning (`credited_cases`): the likeliest the run reworded past the match, so such a planner
still teaches the policy (the suite's `reworded-plans` worlds: crediting none there cost .03),
while a plan of the planner's own idea credits one plan's cases, not every case shown
(crediting them all, as shared credit does, gave a lucky guess's success to the failure cases
shown beside it and cost the look-alike worlds .03 in round 1; benchmarks/README.md, "The
nearest plan where a plan followed none"). Where the plan says nothing of whom it followed (no
steps) the graph credits every case shown.

The threshold sits above the closest two different approaches of the suite's families (MiniLM
0.70, the lexical embedder 0.54). On SmolLM2-135M's plans (`benchmarks/followed_match.py`,
docs/learning.md) the word-for-word matches were copies; the matches by meaning were mostly
short answer templates ("The answer is: 2") that echo the cases' form, not their content.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

FOLLOW_SIMILARITY = 0.8
_TOOL_TAG = re.compile(r"\s\[[\w.:-]+\]$")
"""The ` [tool]` a step's line ends with (`nodes.schemas.PlanStep.line`)."""
_NUMBERING = re.compile(r"^\s*(step\s*)?\d+\s*[.):]\s+", re.IGNORECASE)
"""A step's own number ("1.", "Step 2:"), which a copy renumbers."""
_WORD = re.compile(r"\w+")


def followed_cases(
    run_steps: Sequence[str],
    case_plans: Mapping[str, Sequence[str]],
    embedder: Embeddings | None = None,
) -> set[str]:
    """The ids of the cases (id -> their plan's steps) whose plan the run's steps followed.

    Steps that are all blank followed nothing; a case without steps was never followed.
    Without an embedder only word-for-word steps count.
    """
    return _match(run_steps, case_plans, embedder)[0]


def credited_cases(
    run_steps: Sequence[str],
    case_plans: Mapping[str, Sequence[str]],
    embedder: Embeddings | None = None,
) -> set[str]:
    """The ids of the cases (id -> their plan's steps) a run's reward goes to under followed
    credit: those its steps followed; where they followed none, the one whose plan is nearest
    the run's in meaning (and every case with the same plan, which the match cannot tell
    apart); all of them where the run has no steps, no case has a plan, or there is no
    embedder to tell which is nearest."""
    followed, cosines = _match(run_steps, case_plans, embedder)
    if followed or not cosines:
        return followed or set(case_plans)
    nearest = plan_key(case_plans[max(cosines, key=cosines.__getitem__)])
    return {i for i in cosines if plan_key(case_plans[i]) == nearest}


def _match(
    run_steps: Sequence[str],
    case_plans: Mapping[str, Sequence[str]],
    embedder: Embeddings | None,
) -> tuple[set[str], dict[str, float]]:
    """The cases followed, and the plan cosine of each compared by meaning (every case with a
    plan not followed word for word; none without an embedder or run steps)."""
    steps = {_normal(step) for step in run_steps if step.strip()}
    if not steps:
        return set(), {}
    followed = {i for i, plan in case_plans.items() if steps & {_normal(s) for s in plan}}
    rest = [
        i for i, plan in case_plans.items() if i not in followed and any(s.strip() for s in plan)
    ]
    if not rest or embedder is None:
        return followed, {}
    found = plan_cosines(run_steps, [case_plans[i] for i in rest], embedder)
    cosines = dict(zip(rest, found.tolist(), strict=True))
    followed |= {i for i, c in cosines.items() if c >= FOLLOW_SIMILARITY}
    return followed, cosines


def plan_cosines(
    run_steps: Sequence[str], case_plans: Sequence[Sequence[str]], embedder: Embeddings
) -> np.ndarray:
    """The cosine of the run's whole plan with each case's, under `embedder`: what the match
    by meaning compares with `FOLLOW_SIMILARITY`."""
    texts = ["\n".join(run_steps)] + ["\n".join(plan) for plan in case_plans]
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors[1:] @ vectors[0]


def plan_key(plan: Sequence[str]) -> tuple[str, ...]:
    """A plan's steps as the word match reads them: two cases with one key are one plan."""
    return tuple(_normal(step) for step in plan if step.strip())


def _normal(step: str) -> str:
    """The step's words: its case, spacing, punctuation, number and tool aside."""
    text = _NUMBERING.sub("", _TOOL_TAG.sub("", step.strip()))
    return " ".join(_WORD.findall(text.casefold()))
