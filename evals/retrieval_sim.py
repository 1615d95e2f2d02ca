"""Run retrieval methods on the synthetic environment, through the product's own learning code.

Each method is the product's retrieval step as the `retrieve` and `update_q` nodes do it: search
the bank for N candidates, score them with a `QEstimator` (`SimilarityQ`, `KernelQ`,
`ParametricQ`), read K with `select_cases` (train mode: Gumbel-top-K from softmax(Q/alpha); the
similarity baseline always takes its top K), and learn by storing one visit per read case with the
single-step soft-Q target (`soft_q_targets`, gamma = 0: the target is the reward). The oracle
reads, among the same N candidates, the cases it knows to be useful.

The bank is either the real `CaseBank` (Qdrant) or `ArrayCaseBank` (the same reads over numpy);
the estimators cannot tell them apart. No new cases are written during a run: the bank is the
environment's, so what is measured is retrieval learning alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from evals.synthetic import SyntheticEnv, Task, TaskStream, held_out_tasks
from graphs.context import MementoContext
from memory.parametric_model import LogisticQModel
from memory.q_estimators import KernelQ, ParametricQ, QEstimator, SimilarityQ
from memory.q_targets import soft_q_targets
from memory.records import Case, ScoredCase, Visit, VisitMatch
from memory.soft_policy import Mode, select_cases

MethodName = Literal["similarity", "kernel", "kernel-contrastive", "parametric", "oracle"]
METHODS: tuple[MethodName, ...] = (
    "similarity",
    "kernel",
    "kernel-contrastive",
    "parametric",
    "oracle",
)
NAMESPACE = "synthetic"


class RetrievalBank(Protocol):
    """What a run needs of a bank; `CaseBank` and `ArrayCaseBank` both qualify."""

    def add(self, case: Case, vector: list[float]) -> Case: ...

    def search(
        self, vector: list[float], *, namespace: str, limit: int, exclude_question: str | None
    ) -> list[ScoredCase]: ...

    def case_vectors(self, case_ids: list[str]) -> dict[str, list[float]]: ...

    def add_visits(self, visits: list[tuple[Visit, list[float]]]) -> None: ...

    def nearest_visits(
        self, vector: list[float], case_ids: list[str], *, per_case: int, retrieved: bool | None
    ) -> list[VisitMatch]: ...


def _product_default(name: str) -> Any:
    """A MementoContext default, so the benchmark always measures what ships."""
    return MementoContext.__dataclass_fields__[name].default


@dataclass(frozen=True, kw_only=True)
class LearnerConfig:
    """Retrieval settings; defaults are the product's (MementoContext, LogisticQModel)."""

    k: int = _product_default("top_k")
    num_candidates: int = _product_default("num_candidates")
    alpha: float = _product_default("alpha")
    tau: float = _product_default("tau")
    lam: float = _product_default("lam")
    q0: float = _product_default("q0")
    visits_per_case: int = _product_default("visits_per_case")
    learning_rate: float = 0.5
    l2: float = 1e-4


@dataclass(frozen=True)
class Step:
    """One retrieval: the N candidates found and the K of them read."""

    candidates: list[ScoredCase]
    read: list[ScoredCase]


@dataclass
class RunResult:
    """One method on one seed: per-episode figures and evaluation-mode checkpoints."""

    method: str
    seed: int
    rewards: np.ndarray  # realised 0/1 reward per episode
    expected: np.ndarray  # E[r] of the cases read, per episode (known ground truth)
    oracle_expected: np.ndarray  # E[r] the oracle gets on the same task
    checkpoints: list[int] = field(default_factory=list)  # episodes after which eval ran
    eval_success: list[float] = field(default_factory=list)  # mean E[r], eval mode, held-out

    @property
    def regret(self) -> np.ndarray:
        """Cumulative pseudo-regret vs the oracle: sum of E[r_oracle] - E[r_method]."""
        return np.cumsum(self.oracle_expected - self.expected)


class Retriever:
    """One method's retrieval policy over a bank loaded with the environment's cases."""

    def __init__(
        self,
        method: MethodName,
        env: SyntheticEnv,
        bank: RetrievalBank,
        config: LearnerConfig,
        seed: int,
    ) -> None:
        self.method = method
        self.env = env
        self.bank = bank
        self.config = config
        self.rng = np.random.default_rng([seed, 3])
        self.case_index = load_cases(env, bank)
        self.estimator = self._estimator()
        self._visit_serial = 0

    def _estimator(self) -> QEstimator:
        c = self.config
        if self.method in ("kernel", "kernel-contrastive"):
            return KernelQ(
                self.bank,  # type: ignore[arg-type]
                tau=c.tau,
                lam=c.lam,
                q0=c.q0,
                visits_per_case=c.visits_per_case,
                credit="contrastive" if self.method == "kernel-contrastive" else "shared",
            )
        if self.method == "parametric":
            model = LogisticQModel(
                self.env.config.dim, q0=c.q0, learning_rate=c.learning_rate, l2=c.l2
            )
            return ParametricQ(self.bank, model)  # type: ignore[arg-type]
        return SimilarityQ()

    def choose(self, task: Task, mode: Mode) -> Step:
        """The K cases read for a task (train mode explores; eval mode takes the top K by Q)."""
        state = task.vector.tolist()
        found = self.bank.search(
            state, namespace=NAMESPACE, limit=self.config.num_candidates, exclude_question=None
        )
        if self.method == "oracle":
            indices = np.array([self.case_index[s.case.id] for s in found])
            chosen = set(self.env.oracle_choice(indices, self.config.k, task).tolist())
            return Step(found, [s for s, i in zip(found, indices, strict=True) if i in chosen])
        q_values = self.estimator.q_values(task.vector, found)
        policy_mode: Mode = "eval" if self.method == "similarity" else mode
        picks = select_cases(q_values, self.config.k, self.config.alpha, policy_mode, self.rng)
        return Step(found, [found[i] for i in picks])

    def learn(self, task: Task, step: Step, reward: float) -> None:
        """Store the step's visits with their single-step target; update a parametric model.

        Every read case gets a visit. With contrastive credit every candidate left unread gets
        one too (`retrieved=False`, same target): the reward the step earned without it.
        """
        if self.method in ("similarity", "oracle"):
            return
        (target,) = soft_q_targets([reward], [], gamma=0.0, alpha=self.config.alpha)
        read_ids = [s.case.id for s in step.read]
        visited = [(cid, True) for cid in read_ids]
        if self.method == "kernel-contrastive":
            read = set(read_ids)
            visited += [(s.case.id, False) for s in step.candidates if s.case.id not in read]
        state = task.vector.tolist()
        self.bank.add_visits([(self._visit(cid, target, r), state) for cid, r in visited])
        self.estimator.learn(task.vector, read_ids, [target] * len(read_ids))

    def _visit(self, case_id: str, target: float, retrieved: bool) -> Visit:
        self._visit_serial += 1  # deterministic ids keep a seed's run reproducible
        return Visit(
            id=str(uuid.UUID(int=self._visit_serial)),
            case_id=case_id,
            namespace=NAMESPACE,
            target=target,
            retrieved=retrieved,
            created_at=float(self._visit_serial),
        )

    def indices(self, read: list[ScoredCase]) -> np.ndarray:
        """The environment's indices of the read cases."""
        return np.array([self.case_index[s.case.id] for s in read], dtype=np.int64)


def load_cases(env: SyntheticEnv, bank: RetrievalBank) -> dict[str, int]:
    """Write the environment's cases into the bank; returns case id -> environment index."""
    index = {}
    for i, vector in enumerate(env.case_vectors):
        case = Case(
            id="",
            namespace=NAMESPACE,
            question=f"synthetic family {env.case_family[i]} case {i}",
            reward=1.0,
            created_at=0.0,
            updated_at=0.0,
        )
        index[bank.add(case, vector.tolist()).id] = i
    return index


def run_method(
    method: MethodName,
    env: SyntheticEnv,
    bank: RetrievalBank,
    *,
    episodes: int,
    seed: int,
    config: LearnerConfig | None = None,
    eval_every: int = 0,
    eval_tasks: int = 0,
) -> RunResult:
    """Run one method for `episodes` episodes on the seed's task stream.

    With `eval_every` and `eval_tasks` set, after every `eval_every` episodes the method reads
    cases for `eval_tasks` held-out tasks in eval mode (no exploration, nothing learned) and the
    mean E[r] of its choices is recorded.
    """
    config = config or LearnerConfig()
    retriever = Retriever(method, env, bank, config, seed)
    stream = TaskStream(env, seed)
    evaluation = held_out_tasks(env, eval_tasks, seed) if eval_every and eval_tasks else []
    result = RunResult(method, seed, np.zeros(episodes), np.zeros(episodes), np.zeros(episodes))
    for t in range(episodes):
        task, uniform = stream.next()
        step = retriever.choose(task, "train")
        indices = retriever.indices(step.read)
        reward = env.reward(task, indices, uniform)
        retriever.learn(task, step, reward)
        result.rewards[t] = reward
        result.expected[t] = env.success_probability(task, indices)
        result.oracle_expected[t] = env.oracle_success_probability(
            task, config.num_candidates, config.k
        )
        if evaluation and (t + 1) % eval_every == 0:
            result.checkpoints.append(t + 1)
            result.eval_success.append(evaluate(retriever, evaluation))
    return result


def evaluate(retriever: Retriever, tasks: list[Task]) -> float:
    """Mean E[r] of the retriever's eval-mode choices on fixed tasks (nothing is learned)."""
    env = retriever.env
    chosen = [retriever.indices(retriever.choose(t, "eval").read) for t in tasks]
    return float(
        np.mean([env.success_probability(t, c) for t, c in zip(tasks, chosen, strict=True)])
    )
