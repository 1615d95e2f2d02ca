"""The knobs of a world: one frozen dataclass, whose defaults are the original benchmark's world.

Each knob names one way a user's bank can differ from the world the policy was tuned on
(issue 25): the embedding geometry (`families`, `embedder`), where misleading cases come from
(`decoys_per_family`, `useful_per_family`, their wording, `p_luck`), how the planner uses the
cases it is shown (`planner`) and whether it rewords the plan it follows (`reword_plans`),
whether repeated questions come back word for word or reworded (`reword`), a world that
changes (`drift_*`), an attacker writing to the bank (`planted_*`), a judge that is sometimes
wrong (`judge_noise`) and tasks of two planning cycles (`cycles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evals.worlds.families import FamilySet

Planner = Literal["majority", "first", "any"]
"""majority: follow the approach most of the shown successes used (a tie is a coin flip);
first: follow the first success shown; any: use the right approach when any shown case
mentions it. With nothing to follow, the planner guesses right with `p_guess`."""
EmbedderName = Literal["minilm", "lexical"]
"""minilm: the product's default embedder; lexical: hashed word and character n-grams
(`evals.worlds.lexical`), a different geometry with nothing to download."""
Wording = Literal["task", "paraphrase"]
"""How seed cases are phrased: like the tasks (`Family.template`) or differently."""
DriftKind = Literal["swap", "third"]
"""swap: the right and wrong approaches trade places; third: a third approach becomes right."""


@dataclass(frozen=True)
class WorldConfig:
    """A world's knobs; the defaults are the original benchmark's world (`decoys`)."""

    families: FamilySet = "separated"
    family_count: int = 5
    embedder: EmbedderName = "minilm"
    train_per_family: int = 8
    held_out_per_family: int = 8
    decoys_per_family: int = 4
    decoy_wording: Wording = "task"
    useful_per_family: int = 2
    useful_wording: Wording = "paraphrase"
    planner: Planner = "majority"
    reword_plans: bool = False
    """Each plan written in one of three rewordings of its approach (drawn per task and pass),
    as an LLM rewords what it copies: a run's plan then matches a case's word for word only when
    the draw repeats its wording, and nine in ten other pairs of one approach's wordings sit
    below followed credit's cosine (MiniLM .08-.89). The planner reads every wording of an
    approach as that approach."""
    p_guess: float = 0.25
    p_right: float = 0.9
    p_luck: float = 0.15
    reword: bool = False
    drift_after_round: int | None = None
    drift_families: int = 5
    drift_kind: DriftKind = "swap"
    planted_per_family: int = 0
    planted_before_round: int = 3
    judge_noise: float = 0.0
    cycles: int = 1

    def __post_init__(self) -> None:
        for name in ("p_guess", "p_right", "p_luck", "judge_noise"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.cycles not in (1, 2):
            raise ValueError(f"cycles must be 1 or 2, got {self.cycles}")
        if self.drift_after_round is not None and self.drift_after_round < 1:
            raise ValueError("drift_after_round must be a round (>= 1) or None")

    @property
    def seeds_bank(self) -> bool:
        """Whether the bank starts with cases (else decoys can only arise by luck)."""
        return self.decoys_per_family + self.useful_per_family > 0
