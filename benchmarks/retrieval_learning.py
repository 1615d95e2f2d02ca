"""Retrieval-learning benchmark: does Q-learning find the useful cases that similarity misses?

No LLM: the synthetic environment of `evals.synthetic` knows which cases help, so every episode's
reward is drawn from ground truth (Bernoulli 0.9 with a useful case read, 0.2 without, by
default). Methods, all the product's own code (`evals.retrieval_sim`):

- similarity          SimilarityQ, top K by cosine (the paper's non-parametric CBR)
- kernel              KernelQ with the product's defaults (tau 0.3, lam 0.01, q0 0.5; alpha 0.1,
                      K 4, N 32), train-mode Gumbel-top-K sampling from softmax(Q / alpha)
- kernel-contrastive  the same with credit="contrastive" (an option this branch adds)
- parametric          ParametricQ over LogisticQModel (learning rate 0.5, l2 1e-4)
- oracle              reads the useful cases among the same N candidates

Bank: by default `ArrayCaseBank`, a numpy stand-in for the `CaseBank` reads the estimators make
(Qdrant's in-memory mode takes ~56 s for 1000 kernel episodes, too slow for 5 methods x 5 seeds
in two minutes). `--bank qdrant` runs the real `CaseBank(":memory:")`; a unit test checks that
both banks give identical runs.

Figures: success rate (realised 0/1 rewards) per block of episodes, mean and spread over seeds;
cumulative pseudo-regret against the oracle (sum of E[r_oracle] - E[r_method], from ground
truth); and evaluation-mode success (top K by Q, no exploration, nothing learned) on a fixed set
of held-out tasks after every block. Printed as a table, saved as JSON and (with matplotlib, the
`eval` extra) a PNG.

    python -m benchmarks.retrieval_learning                 # from the repository root
    python -m benchmarks.retrieval_learning --seeds 3 --episodes 500 --out-dir /tmp/rl
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from evals.array_bank import ArrayCaseBank
from evals.retrieval_sim import METHODS, LearnerConfig, RetrievalBank, RunResult, run_method
from evals.synthetic import EnvConfig, SyntheticEnv
from memory.casebank import CaseBank

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
TARGET_LEARNED, TARGET_SIMILARITY, TARGET_BY = 0.9, 0.7, 500


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env, learner = EnvConfig(), LearnerConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--episodes", type=int, default=1000)
    p.add_argument("--block", type=int, default=100, help="episodes per block (and per eval)")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--eval-tasks", type=int, default=100, help="held-out tasks per checkpoint")
    p.add_argument("--bank", choices=("array", "qdrant"), default="array")
    p.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    p.add_argument("--no-plot", action="store_true")
    for name, value in asdict(env).items():
        p.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    for name, value in asdict(learner).items():
        p.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = p.parse_args(argv)
    if args.episodes % args.block:
        p.error("--episodes must be a multiple of --block")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env_config = EnvConfig(**{k: getattr(args, k) for k in asdict(EnvConfig())})
    learner = LearnerConfig(**{k: getattr(args, k) for k in asdict(LearnerConfig())})
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m benchmarks.retrieval_learning", shlex.join(given)]).rstrip()
    started = time.perf_counter()
    runs: dict[str, list[RunResult]] = {m: [] for m in args.methods}
    for seed in range(args.seeds):
        env = SyntheticEnv.build(env_config, seed)
        for method in args.methods:
            runs[method].append(
                run_method(
                    method,
                    env,
                    _bank(args.bank, env_config.dim),
                    episodes=args.episodes,
                    seed=seed,
                    config=learner,
                    eval_every=args.block,
                    eval_tasks=args.eval_tasks,
                )
            )
    elapsed = time.perf_counter() - started
    report = summarise(runs, args.block)
    report.update(
        command=command,
        seconds=round(elapsed, 1),
        bank=args.bank,
        env=asdict(env_config),
        learner=asdict(learner),
    )
    print(format_table(report))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.out_dir / "retrieval_learning.json"
    json_path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nfigures: {json_path}")
    if not args.no_plot:
        png = plot(report, args.out_dir / "retrieval_learning.png")
        print(f"plot:    {png}" if png else "plot:    skipped (pip install matplotlib)")
    print(f"command: {command}")
    print(f"summary: {report['summary']}")
    return 0


def _bank(kind: str, dim: int) -> RetrievalBank:
    return CaseBank(":memory:", dim=dim) if kind == "qdrant" else ArrayCaseBank(dim)  # type: ignore[return-value]


def summarise(runs: dict[str, list[RunResult]], block: int) -> dict:
    """Per method: block success (per seed, mean, sd), regret, eval checkpoints; the verdict."""
    methods = {}
    for method, results in runs.items():
        success = np.array([r.rewards.reshape(-1, block).mean(axis=1) for r in results])
        expected = np.array([r.expected.reshape(-1, block).mean(axis=1) for r in results])
        regret = np.array([r.regret for r in results])
        evals = np.array([r.eval_success for r in results])
        methods[method] = {
            "seeds": [r.seed for r in results],
            "success_per_block": _stats(success),
            "expected_success_per_block": _stats(expected),
            "cumulative_regret_at_block_end": _stats(regret[:, block - 1 :: block]),
            "eval_checkpoints": results[0].checkpoints,
            "eval_success": _stats(evals),
        }
    episodes = len(next(iter(runs.values()))[0].rewards)
    report = {"block": block, "episodes": episodes, "methods": methods}
    report["targets"] = verdict(methods, block)
    report["summary"] = one_line(report)
    return report


def _stats(per_seed: np.ndarray) -> dict:
    return {
        "per_seed": np.round(per_seed, 4).tolist(),
        "mean": np.round(per_seed.mean(axis=0), 4).tolist(),
        "sd": np.round(per_seed.std(axis=0), 4).tolist(),
    }


def verdict(methods: dict, block: int) -> dict:
    """Issue targets: kernel >= 90% of the oracle within 500 episodes; similarity <= 70%."""
    if "oracle" not in methods:
        return {}
    oracle = np.array(methods["oracle"]["success_per_block"]["mean"])
    oracle_eval = np.array(methods["oracle"]["eval_success"]["mean"])
    out: dict = {}
    for method, figures in methods.items():
        ratio = np.array(figures["success_per_block"]["mean"]) / oracle
        eval_ratio = np.array(figures["eval_success"]["mean"]) / oracle_eval
        ends = np.arange(1, len(ratio) + 1) * block
        reached = ends[ratio >= TARGET_LEARNED]
        reached_eval = ends[eval_ratio >= TARGET_LEARNED]
        sustained = next(
            (int(ends[i]) for i in range(len(ratio)) if np.all(ratio[i:] >= TARGET_LEARNED)),
            None,
        )
        out[method] = {
            "ratio_to_oracle_per_block": np.round(ratio, 3).tolist(),
            "eval_ratio_to_oracle": np.round(eval_ratio, 3).tolist(),
            "first_block_end_at_90pct": int(reached[0]) if reached.size else None,
            "first_eval_checkpoint_at_90pct": int(reached_eval[0]) if reached_eval.size else None,
            "at_90pct_in_every_block_from": sustained,
            "max_block_ratio": round(float(ratio.max()), 3),
        }
    for method in ("kernel", "kernel-contrastive"):
        if method in out:
            first = out[method]["first_block_end_at_90pct"]
            out[method]["meets_90pct_by_500"] = first is not None and first <= TARGET_BY
    if "similarity" in out:
        out["similarity"]["stays_at_or_below_70pct"] = (
            out["similarity"]["max_block_ratio"] <= TARGET_SIMILARITY
        )
    return out


def one_line(report: dict) -> str:
    t, parts = report["targets"], []
    for method in ("kernel", "kernel-contrastive"):
        if method in t:
            first = t[method]["first_block_end_at_90pct"]
            f = t[method]
            parts.append(
                f"{method}: >= 90% of oracle success first at episode {_ep(first)} "
                f"({'meets' if f['meets_90pct_by_500'] else 'misses'} the 500 target), "
                f"in every later block from {_ep(f['at_90pct_in_every_block_from'])}, "
                f"in eval mode from {_ep(f['first_eval_checkpoint_at_90pct'])}"
            )
    if "similarity" in t:
        parts.append(f"similarity peaks at {t['similarity']['max_block_ratio']:.0%} of oracle")
    return "; ".join(parts) or "no oracle run, no targets"


def _ep(episode: int | None) -> str:
    return "never" if episode is None else str(episode)


def format_table(report: dict) -> str:
    block, methods = report["block"], report["methods"]
    n_blocks = report["episodes"] // block
    seeds = len(next(iter(methods.values()))["seeds"])
    head = f"{'method':<19}" + "".join(f"{(b + 1) * block:>8}" for b in range(n_blocks))
    lines = [
        f"success rate per block of {block} episodes (mean over {seeds} seeds; sd below)",
        head + f"{'regret':>9}",
    ]
    for method, f in methods.items():
        mean, sd = f["success_per_block"]["mean"], f["success_per_block"]["sd"]
        regret = f["cumulative_regret_at_block_end"]
        lines.append(
            f"{method:<19}" + "".join(f"{m:>8.3f}" for m in mean) + f"{regret['mean'][-1]:>9.1f}"
        )
        lines.append(f"{'':<19}" + "".join(f"{s:>8.3f}" for s in sd) + f"{regret['sd'][-1]:>9.1f}")
    lines += ["", "evaluation mode (top K by Q, held-out tasks, E[r]) after each block", head]
    for method, f in methods.items():
        lines.append(f"{method:<19}" + "".join(f"{m:>8.3f}" for m in f["eval_success"]["mean"]))
    lines.append(f"\n{report['seconds']} s for {seeds} seeds on the {report['bank']} bank")
    return "\n".join(lines)


def plot(report: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    block, methods = report["block"], report["methods"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for method, f in methods.items():
        x = np.arange(1, len(f["success_per_block"]["mean"]) + 1) * block
        mean, sd = np.array(f["success_per_block"]["mean"]), np.array(f["success_per_block"]["sd"])
        (line,) = axes[0].plot(x, mean, marker="o", label=method)
        axes[0].fill_between(x, mean - sd, mean + sd, alpha=0.15, color=line.get_color())
        axes[1].plot(f["eval_checkpoints"], f["eval_success"]["mean"], marker="o", label=method)
        regret = np.array(f["cumulative_regret_at_block_end"]["mean"])
        axes[2].plot(x, regret, marker="o", label=method)
    axes[0].set(title="training success per block (± sd over seeds)", xlabel="episode")
    axes[1].set(title="eval mode: top K by Q, held-out tasks", xlabel="episode")
    axes[2].set(title="cumulative regret vs oracle", xlabel="episode")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0, 1)
    axes[1].set_ylim(0, 1)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle("\n".join(report["summary"].split("; ")), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
