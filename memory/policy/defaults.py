"""The policy's defaults, in one place: the kernel estimator's own and the run context's.

Chosen by the learning suite (benchmarks/README.md, "The learning suite"), never by one world:
the score starts from similarity and moves by the evidence of each case's reads, a read being
a run whose plan followed the case (followed credit: a case only shown beside the one that
worked earns nothing; where the plan followed none, the cases of the plan nearest it do), evidence
ages with a half-life of 8 newer reads of the same case and is weighed down while a case's
newest reads go against most of its older ones (a change), or while the newest 3 steps of its
plan near the task all failed where most older ones worked (a plan that stopped working, whose
read cases then start from its record since), and train mode reads
the top K by score plus an optimism bonus of 0.5 that fades with a case's evidence, so it tries
cases that similarity ranks lower once the nearer ones keep failing (sampling from the soft
policy instead learned less on the suite). A case less similar than 0.2 to the task is never
a candidate: 93% of 190 pairs of unrelated questions score under it with the embedded MiniLM
(98% under 0.3), and a floor of 0.3 hid the paraphrases a second embedder scores as low as
unrelated text (the suite's `lexical` world; `benchmarks/similarity_floor.py`). Nothing here
imports numpy, so the CLI's `--help` can show them cheaply.
"""

from __future__ import annotations

from typing import Final, Literal

ALPHA: Final = 0.1
TAU: Final = 0.3
LAM: Final = 0.01
Q0: Final = 0.5
VISITS_PER_CASE: Final = 32
CREDIT: Final[Literal["shared", "contrastive", "followed"]] = "followed"
SIMILARITY_PRIOR: Final = True
PRIOR_VISITS: Final = 1.0
HALF_LIFE: Final = 8.0
CHANGE_AFTER: Final = 1
PLAN_CHANGE_AFTER: Final = 3
OPTIMISM: Final = 0.5
EXPLORATION: Final[Literal["optimism", "sampling"]] = "optimism"
MIN_SIMILARITY: Final = 0.2
