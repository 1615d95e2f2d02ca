"""How often the first command fails on the embedded defaults: `memento run TASK` N times, each
with no key, no endpoint and a fresh home (so a fresh bank and a fresh local model server).

Counts, per run, the exit status, whether a grammar error of the local model's constrained
decoding was printed, how many roles were degraded to plain requests (the "note    the ..."
lines, issue 30) and whether the case was written. Each run takes 1-5 minutes on 2 cores.

    python -m benchmarks.embedded_runs --runs 50
    python -m benchmarks.embedded_runs --runs 5 --task "What is 17 * 23 + 4?"
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from benchmarks.report import emit

ROOT = Path(__file__).resolve().parents[1]
ENDPOINT_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MEMENTO_BASE_URL", "MEMENTO_STORE")


def one_run(task: str, timeout_s: float) -> dict[str, object]:
    """The task once, as a newcomer's first run: a fresh home, nothing configured."""
    with tempfile.TemporaryDirectory(prefix="memento-first-run-") as home:
        env = {k: v for k, v in os.environ.items() if k not in ENDPOINT_VARIABLES}
        env.update(HOME=home, XDG_DATA_HOME=str(Path(home) / "data"))
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "memento", "run", task],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s,
            )  # fmt: skip
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            code, output = -1, str(exc.stdout or "") + str(exc.stderr or "")
    lines = output.splitlines()
    return {
        "exit": code,
        "grammar_error": "grammar" in output.lower() and code != 0,
        "degraded_roles": sum(line.startswith("note    the ") for line in lines),
        "case_written": any(line.endswith(" written") for line in lines),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--task", default="What is 17 times 23?")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    runs = [one_run(args.task, args.timeout) for _ in tqdm(range(args.runs), desc="runs")]
    failed = sum(r["exit"] != 0 for r in runs)
    figures = {
        "runs": len(runs),
        "failed": failed,
        "grammar_failures": sum(bool(r["grammar_error"]) for r in runs),
        "runs_with_a_degraded_role": sum(bool(r["degraded_roles"]) for r in runs),
        "cases_written": sum(bool(r["case_written"]) for r in runs),
        "each": runs,
    }
    summary = (
        f"{failed} of {len(runs)} runs failed "
        f"({figures['grammar_failures']} on a grammar error), "
        f"{figures['runs_with_a_degraded_role']} degraded a role, "
        f"{figures['cases_written']} wrote their case"
    )
    emit("embedded_runs", figures, summary, args.out)


if __name__ == "__main__":
    main()
