"""The rules the learning suite compares: specs of context overrides, plus `off` and `oracle`.

A rule is `LABEL` or `LABEL:field=value,...` (`benchmarks.learning_runs.parse_method`); a bare
label that names a retrieval (`similarity`, `parametric`, and the peers' `memrl`, `ucb`) sets
it. A rule whose retrieval the context does not accept (yet) is skipped with a message,
never run as something else.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from benchmarks.learning_runs import parse_method
from graphs import MementoContext

DEFAULT_RULES = (
    "off",
    "oracle",
    "similarity",
    "similarity-top1:retrieval=similarity,top_k=1",
    "long-context:retrieval=similarity,top_k=32,num_candidates=32",
    "memrl:credit=shared",
    "ucb:credit=shared",
    "kernel",
    "parametric",
)
"""The peers credit every case they show, as their papers do (the product's default credit,
`followed`, is the product's own rule, not theirs)."""
PEER_RETRIEVALS = ("memrl", "ucb")
"""Peers' rules the product is to offer as retrievals (issue 25 item 2)."""
DEFAULT_PEERS = ("similarity", "similarity-top1", "long-context", "memrl", "ucb")
"""The labels the criteria compare the judged rule against, where they were run."""
FLOORS = ("off", "oracle")


@dataclass(frozen=True)
class Rule:
    """A rule to run: its label, spec (as given) and context overrides."""

    label: str
    spec: str
    overrides: dict[str, Any]


def accepted_retrievals() -> tuple[str, ...]:
    """The retrieval values `MementoContext` accepts now."""
    return typing.get_args(typing.get_type_hints(MementoContext)["retrieval"])


def parse_rule(spec: str) -> Rule | str:
    """The rule of a spec, or a message saying why it is skipped (a retrieval the context does
    not accept yet). Any other bad field or value exits, as `parse_method` does."""
    label, _, settings = spec.partition(":")
    if label in FLOORS:
        return Rule(label, spec, {})
    given = [
        item.partition("=")[2] for item in settings.split(",") if item.startswith("retrieval=")
    ]
    accepted = accepted_retrievals()
    named = label if label in (*accepted, *PEER_RETRIEVALS) else None
    retrieval = given[-1] if given else named
    if retrieval is not None and retrieval not in accepted:
        return (
            f"rule {label!r} skipped: the context does not accept retrieval={retrieval!r} yet "
            f"(it accepts {', '.join(accepted)})"
        )
    if retrieval is not None and not given:
        spec = f"{label}:retrieval={retrieval}" + (f",{settings}" if settings else "")
    label, overrides = parse_method(spec)
    return Rule(label, spec, overrides)


def parse_rules(specs: list[str]) -> tuple[list[Rule], list[str]]:
    """The rules to run, and a message for each skipped one."""
    rules, skipped = [], []
    for spec in specs:
        parsed = parse_rule(spec)
        (rules if isinstance(parsed, Rule) else skipped).append(parsed)  # type: ignore[arg-type]
    labels = [rule.label for rule in rules]
    if len(set(labels)) != len(labels):
        raise SystemExit(f"two rules share a label: {labels}")
    return rules, skipped
