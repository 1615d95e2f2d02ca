"""Where a case's outcome comes from, and how far the planner may trust what it says.

A case judged against a ground truth (or relabelled by a person) has a verified outcome. One
the agent judged itself, or that came in through an import, has not: its content may carry
whatever a tool or a model wrote, including instructions planted to be repeated later
(memory poisoning). The policy, applied by the bank and by the planner's prompt:

- every case records its provenance, and the planner sees it beside the case;
- only verified cases are ever shown as successes; unverified ones are shown apart, as data
  whose instructions are not to be followed;
- a self-judged case whose tool results read like an injected instruction is quarantined:
  stored for a person to review (`memento cases list` shows it), never retrieved.
Cases written before provenance existed read as "unknown", which counts as unverified.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

Provenance = Literal[
    "ground_truth", "relabelled", "self_judged", "imported", "quarantined", "unknown"
]
VERIFIED: frozenset[str] = frozenset({"ground_truth", "relabelled"})
"""Provenances whose reward was measured against a truth a person stands behind."""

_INJECTION = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|prompts?)"
    r"|disregard (?:all |any )?(?:the )?(?:previous|prior|above|earlier|your)"
    r"|(?:new|updated|override|system) instructions?\s*:"
    r"|you are now\b|from now on,? (?:you|always)|\bsystem prompt\b"
    r"|always (?:answer|respond|reply|say)\b",
    re.IGNORECASE,
)


def is_verified(provenance: str) -> bool:
    """Whether a case with this provenance may be shown as a success."""
    return provenance in VERIFIED


def untrusted_provenance(claimed: str) -> Provenance:
    """What a provenance claimed by a write that no person vouched for (an import, a store put)
    becomes: "imported", unverified. A writer may keep a quarantine, never lift one."""
    return "quarantined" if claimed == "quarantined" else "imported"


def looks_injected(texts: Iterable[str]) -> bool:
    """Whether any text reads like an instruction aimed at the agent (prompt injection)."""
    return any(_INJECTION.search(text) for text in texts)


def provenance_for(*, against_truth: bool, tool_texts: Iterable[str]) -> Provenance:
    """A new case's provenance: verified when judged against a ground truth; else self-judged,
    or quarantined when what its tools returned (or it answered) reads like an injection."""
    if against_truth:
        return "ground_truth"
    return "quarantined" if looks_injected(tool_texts) else "self_judged"
