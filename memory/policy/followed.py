"""Which of the cases shown to a run its plan followed: the cases `credit="followed"` credits.

Shared credit gives every case shown to a run the run's reward, so a wrong "success" shown
beside right ones is credited with their success and a failure case read beside a success
keeps a high Q (the learning suite's planted and look-alike worlds; benchmarks/README.md,
"Followed credit"). Followed credit gives the reward only to the cases whose plan the run's
plan repeats: a step the same word for word (case, spacing, punctuation, the step's number and
its tool aside: a copy renumbered, or run with another tool, still follows the case), or the
whole plan close in meaning (cosine >= `FOLLOW_SIMILARITY` under the bank's embedder). Where
a plan follows none of the shown cases the graph credits them all, as shared credit does: it
cannot tell whom the run followed, and a planner that rewords past the match must not stop
the policy learning. A wrong match costs no more than shared credit would.

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

    Steps that are all blank followed nothing (the graph credits such a plan as shared); a case
    without steps was never followed. Without an embedder only word-for-word steps count.
    """
    steps = {_normal(step) for step in run_steps if step.strip()}
    if not steps:
        return set()
    followed = {i for i, plan in case_plans.items() if steps & {_normal(s) for s in plan}}
    rest = [
        i for i, plan in case_plans.items() if i not in followed and any(s.strip() for s in plan)
    ]
    if rest and embedder is not None:
        cosines = plan_cosines(run_steps, [case_plans[i] for i in rest], embedder)
        followed |= {i for i, c in zip(rest, cosines, strict=True) if c >= FOLLOW_SIMILARITY}
    return followed


def plan_cosines(
    run_steps: Sequence[str], case_plans: Sequence[Sequence[str]], embedder: Embeddings
) -> np.ndarray:
    """The cosine of the run's whole plan with each case's, under `embedder`: what the match
    by meaning compares with `FOLLOW_SIMILARITY`."""
    texts = ["\n".join(run_steps)] + ["\n".join(plan) for plan in case_plans]
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors[1:] @ vectors[0]


def _normal(step: str) -> str:
    """The step's words: its case, spacing, punctuation, number and tool aside."""
    text = _NUMBERING.sub("", _TOOL_TAG.sub("", step.strip()))
    return " ".join(_WORD.findall(text.casefold()))
