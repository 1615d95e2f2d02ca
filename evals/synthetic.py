"""A synthetic retrieval task with known ground truth, for measuring Q-learning without an LLM.

The story: tasks come in F families (kinds of problem). For each family the case bank already
holds many look-alike cases, near the family's centroid; only a few of them are truly useful
(their plan transfers), and those are *not* the most similar ones: they sit a little farther from
the centroid than the decoys (a useful solution is usually phrased differently from the
paraphrases that failed). Plain similarity top-K is therefore misled, and a retrieval policy has
to learn from rewards which cases help.

An episode draws a fresh task (family uniform, vector near the centroid), the method reads K
cases, and the reward is Bernoulli(p_high) when any read case is useful for the task's family,
Bernoulli(p_low) otherwise. All geometry is set by cosines to the family centroid, so the same
numbers describe the environment in any dimension:

- task_cos: cosine of a task to its centroid (two tasks of a family: ~task_cos**2).
- decoy_cos, useful_cos: cosine of a decoy / a useful case to its centroid; decoy_cos >
  useful_cos is what misleads similarity. With the defaults (0.9, 0.85) similarity's top 4
  holds a useful case for ~40% of tasks (useful_cos 0.8: ~25%); set them equal and similarity
  is merely blind (~62%, a random 4 of 20 with 4 useful).

The defaults follow DESIGN.md's quick simulation: 10 families of 20 look-alike cases, 4 useful,
reward 0.9 with a useful case read and 0.2 without. Families are far enough apart that a task's
32 candidates hold all 20 cases of its family, so the useful ones are always reachable.

Everything is drawn from one seed: the environment (`SyntheticEnv.build(config, seed)`), the task
stream and the reward draws (`TaskStream`), so two methods run on the same seed see the same tasks
and the same uniform draws behind their rewards (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np


@dataclass(frozen=True, kw_only=True)
class EnvConfig:
    """The environment's knobs (see the module docstring for what the defaults give)."""

    families: int = 10
    cases_per_family: int = 20
    useful_per_family: int = 4
    dim: int = 64
    task_cos: float = 0.6
    decoy_cos: float = 0.9
    useful_cos: float = 0.85
    p_high: float = 0.9
    p_low: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.useful_per_family <= self.cases_per_family:
            raise ValueError("useful_per_family must be in 1..cases_per_family")
        for name in ("task_cos", "decoy_cos", "useful_cos"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in (0, 1)")
        if not 0.0 <= self.p_low <= self.p_high <= 1.0:
            raise ValueError("need 0 <= p_low <= p_high <= 1")
        if self.dim < self.families + 2:
            raise ValueError("dim must exceed the number of families")


@dataclass(frozen=True)
class Task:
    """One episode's task: its family and its (unit) embedding, the state s."""

    family: int
    vector: np.ndarray


@dataclass
class SyntheticEnv:
    """Case vectors, their families and which of them are useful; rewards and the oracle."""

    config: EnvConfig
    centroids: np.ndarray  # (F, d), unit
    case_vectors: np.ndarray  # (M, d), unit
    case_family: np.ndarray  # (M,)
    case_useful: np.ndarray  # (M,) bool: useful for tasks of its own family
    seed: int = 0

    @classmethod
    def build(cls, config: EnvConfig, seed: int) -> SyntheticEnv:
        """The environment for a seed (the same seed always gives the same arrays)."""
        rng = np.random.default_rng([seed, 0])
        centroids = _unit(rng.standard_normal((config.families, config.dim)))
        vectors, family, useful = [], [], []
        for f in range(config.families):
            for i in range(config.cases_per_family):
                is_useful = i < config.useful_per_family
                cos = config.useful_cos if is_useful else config.decoy_cos
                vectors.append(_at_cosine(centroids[f], cos, rng))
                family.append(f)
                useful.append(is_useful)
        order = rng.permutation(len(vectors))  # useful cases are not the first of each family
        return cls(
            config=config,
            centroids=centroids,
            case_vectors=np.array(vectors)[order],
            case_family=np.array(family)[order],
            case_useful=np.array(useful)[order],
            seed=seed,
        )

    @property
    def num_cases(self) -> int:
        return len(self.case_vectors)

    def sample_task(self, rng: np.random.Generator) -> Task:
        """A fresh task: a uniform family and a vector at task_cos to its centroid."""
        family = int(rng.integers(self.config.families))
        return Task(family, _at_cosine(self.centroids[family], self.config.task_cos, rng))

    def helps(self, task: Task, case_indices: np.ndarray) -> np.ndarray:
        """Whether each case is useful for this task (useful and of the task's family)."""
        idx = np.asarray(case_indices, dtype=np.int64)
        return self.case_useful[idx] & (self.case_family[idx] == task.family)

    def success_probability(self, task: Task, case_indices: np.ndarray) -> float:
        """E[r | task, read cases]: p_high if any read case helps, else p_low."""
        hit = bool(self.helps(task, case_indices).any())
        return self.config.p_high if hit else self.config.p_low

    def reward(self, task: Task, case_indices: np.ndarray, uniform: float) -> float:
        """The realised 0/1 reward, from a uniform draw supplied by the task stream."""
        return float(uniform < self.success_probability(task, case_indices))

    def similarities(self, task: Task) -> np.ndarray:
        """Cosine of the task to every case."""
        return self.case_vectors @ task.vector

    def oracle_choice(self, candidates: np.ndarray, k: int, task: Task) -> np.ndarray:
        """The oracle's K of the candidates: helpful cases first, then by candidate order."""
        candidates = np.asarray(candidates, dtype=np.int64)
        helpful = self.helps(task, candidates)
        order = np.argsort(~helpful, kind="stable")
        return candidates[order[:k]]

    def candidates(self, task: Task, n: int) -> np.ndarray:
        """The N cases most similar to the task, best first (what a bank search returns)."""
        return np.argsort(-self.similarities(task), kind="stable")[:n]

    def oracle_success_probability(self, task: Task, n: int, k: int) -> float:
        """E[r] of the oracle's K among the task's N candidates."""
        candidates = self.candidates(task, n)
        return self.success_probability(task, self.oracle_choice(candidates, k, task))

    def best_success_probability(self, candidates: np.ndarray, k: int, task: Task) -> float:
        """Max over all K-subsets of the candidates of E[r] (brute force; for small tests)."""
        candidates = np.asarray(candidates, dtype=np.int64)
        k = min(k, len(candidates))
        return max(
            self.success_probability(task, np.array(subset))
            for subset in combinations(candidates.tolist(), k)
        )


@dataclass
class TaskStream:
    """The seed's sequence of tasks and reward uniforms (identical for every method)."""

    env: SyntheticEnv
    seed: int
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng([self.seed, 1])

    def next(self) -> tuple[Task, float]:
        """The next task and the uniform draw that decides its reward."""
        task = self.env.sample_task(self._rng)
        return task, float(self._rng.random())


def held_out_tasks(env: SyntheticEnv, count: int, seed: int) -> list[Task]:
    """A fixed set of tasks, apart from the training stream, for evaluation-mode checkpoints."""
    rng = np.random.default_rng([seed, 2])
    return [env.sample_task(rng) for _ in range(count)]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _at_cosine(direction: np.ndarray, cos: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector at exactly `cos` to the unit vector `direction`, otherwise random."""
    noise = rng.standard_normal(direction.shape)
    noise -= (noise @ direction) * direction
    noise /= np.linalg.norm(noise)
    return cos * direction + np.sqrt(1.0 - cos * cos) * noise
