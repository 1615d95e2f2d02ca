"""The original learning benchmark's world, now the `decoys` world of `evals.worlds`.

Kept as a name for old imports: `World`, `WorldConfig` (whose defaults are this world),
`WorldPlanner`, `Task`, `Family` and `FAMILIES` are those of `evals.worlds`.
"""

from evals.worlds import FAMILIES, Family, Task, World, WorldConfig, WorldPlanner

__all__ = ["FAMILIES", "Family", "Task", "World", "WorldConfig", "WorldPlanner"]
