"""Why kernel Q's training success plateaus: its Q values by kind of candidate after learning.

After `--episodes` training episodes on each seed, score the candidates of held-out tasks and
report, per kind of candidate (useful, own-family decoy, other-family case): the median Q, the
share of softmax(Q / alpha) mass it holds, the share of useful cases scored below the median
decoy (locked out), and the probability that train-mode sampling of K reads a useful case.

    python -m benchmarks.retrieval_diagnosis
    python -m benchmarks.retrieval_diagnosis --alpha 0.05 --seeds 3
"""

from __future__ import annotations

import argparse

import numpy as np

from evals.array_bank import ArrayCaseBank
from evals.retrieval_sim import NAMESPACE, LearnerConfig, Retriever
from evals.synthetic import EnvConfig, SyntheticEnv, TaskStream, held_out_tasks
from memory.soft_policy import select_cases, soft_policy

KINDS = ("useful", "decoy", "other family")


def diagnose(method: str, seed: int, episodes: int, learner: LearnerConfig) -> dict[str, float]:
    env = SyntheticEnv.build(EnvConfig(), seed)
    bank = ArrayCaseBank(env.config.dim)
    retriever = Retriever(method, env, bank, learner, seed)  # type: ignore[arg-type]
    stream = TaskStream(env, seed)
    for _ in range(episodes):
        task, uniform = stream.next()
        step = retriever.choose(task, "train")
        retriever.learn(task, step, env.reward(task, retriever.indices(step.read), uniform))
    rng = np.random.default_rng([seed, 9])
    q_by_kind: dict[str, list[float]] = {k: [] for k in KINDS}
    mass: dict[str, list[float]] = {k: [] for k in KINDS}
    locked, reads_useful = [], []
    for task in held_out_tasks(env, 200, seed):
        found = bank.search(task.vector.tolist(), namespace=NAMESPACE, limit=learner.num_candidates)
        q = retriever.estimator.q_values(task.vector, found)
        p = soft_policy(q, learner.alpha)
        idx = retriever.indices(found)
        helps = env.helps(task, idx)
        own = env.case_family[idx] == task.family
        kind = np.where(helps, KINDS[0], np.where(own, KINDS[1], KINDS[2]))
        for k in KINDS:
            q_by_kind[k] += q[kind == k].tolist()
            mass[k].append(float(p[kind == k].sum()))
        locked.append(float(np.mean(q[helps] < np.median(q[kind == KINDS[1]]))))
        draws = [select_cases(q, learner.k, learner.alpha, "train", rng) for _ in range(20)]
        reads_useful.append(float(np.mean([helps[d].any() for d in draws])))
    out = {f"Q median {k}": float(np.median(v)) for k, v in q_by_kind.items()}
    out |= {f"mass {k}": float(np.mean(v)) for k, v in mass.items()}
    out |= {"useful below median decoy": float(np.mean(locked))}
    out |= {"P(train-mode K reads a useful case)": float(np.mean(reads_useful))}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=LearnerConfig().alpha)
    parser.add_argument("--lam", type=float, default=LearnerConfig().lam)
    args = parser.parse_args()
    learner = LearnerConfig(alpha=args.alpha, lam=args.lam)
    for method in ("kernel", "kernel-contrastive"):
        runs = [diagnose(method, s, args.episodes, learner) for s in range(args.seeds)]
        print(f"{method} after {args.episodes} episodes ({args.seeds} seeds, alpha {args.alpha})")
        for key in runs[0]:
            print(f"  {key:<38}{np.mean([r[key] for r in runs]):>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
