"""Scripted worlds for measuring learned retrieval through the real graph, with no LLM.

`families` (the tasks' texts), `config` (a world's knobs), `world` (tasks, cases and seeded
draws), `planner` (the scripted chat model), `lexical` (a second embedder) and `suite` (the
named worlds of `benchmarks/learning_suite.py`).
"""

from evals.worlds.config import WorldConfig
from evals.worlds.families import CITIES, FAMILY_SETS, HELP_DESK, SEPARATED, Family
from evals.worlds.lexical import LexicalEmbedder
from evals.worlds.planner import WorldPlanner
from evals.worlds.suite import SUITE, WORLDS, WorldSpec, world_named
from evals.worlds.world import HELD_OUT, REPEATED, REWORDED, TRAIN, Task, World, pass_key

FAMILIES = SEPARATED
"""The original benchmark's families."""

__all__ = [
    "CITIES",
    "FAMILIES",
    "FAMILY_SETS",
    "HELD_OUT",
    "HELP_DESK",
    "REPEATED",
    "REWORDED",
    "SEPARATED",
    "SUITE",
    "TRAIN",
    "WORLDS",
    "Family",
    "LexicalEmbedder",
    "Task",
    "World",
    "WorldConfig",
    "WorldPlanner",
    "WorldSpec",
    "pass_key",
    "world_named",
]
