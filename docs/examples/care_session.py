"""The bank-care session of docs/case-bank.md ("Bank care: correct, forget, explain"), reproduced.

The page shows a real terminal session; this script prints it, so the page can be brought up to
date whenever the defaults or the output of `memento cases` change:

    python docs/examples/care_session.py

It writes eight arithmetic-style tasks through the MCP memory service's write side
(`memento.mcp_memory.CaseMemory`: `retrieve_cases`, then `report_outcome`, as `memento mcp
--trusted` serves them) into a bank in a temporary folder, with the default settings, a fixed
seed and the offline MiniLM embedder (nothing is downloaded; HOME and XDG_DATA_HOME point into
the temporary folder, so the user's own bank is never opened). One right answer ("94") is
self-reported as a failure. Then it runs the page's `memento cases` commands on that bank, each
in its own process, and prints each after a `$ ` prompt with what it printed on standard output
(the progress bars of `prune`, on standard error, are left out). Case ids come from the cases'
content, so they are the same on every run; run ids are random, so the `run` column of `cases
why` is not."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's code

from graphs.resources import default_embedder
from graphs.settings import load_settings
from memento.mcp_memory import CaseMemory
from memory import CaseBank, embedding_dim
from nodes import MementoDeps

ROOT = Path(__file__).resolve().parents[2]
SEED = 7
PROBE = "What is 31 * 3 + 2?"
WRONGLY_FAILED = "What is 31 * 3 + 1?"
# (task, plan, answer, ground truth); a ground truth of None: the answer is reported as failed.
TASKS: list[tuple[str, list[str], str, str | None]] = [
    ("What is 17 * 23 + 4?", ["multiply 17 by 23 [calculate]", "add 4 [calculate]"], "395", "395"),
    ("What is 14 * 14 + 2?", ["multiply 14 by 14 [calculate]", "add 2 [calculate]"], "198", "198"),
    ("What is 17 * 23 + 4 ?", ["multiply 17 by 23 [calculate]", "add 4 [calculate]"], "395", "395"),
    ("What is 19 * 21 + 3?", ["multiply 19 by 21 [calculate]", "add 3 [calculate]"], "402", "402"),
    ("What is 12 * 11 - 5?", ["multiply 12 by 11 [calculate]", "take 5 [calculate]"], "127", "127"),
    ("What is the capital of France?", ["recall the capital of France"], "Paris", "Paris"),
    (WRONGLY_FAILED, ["multiply 31 by 3 [calculate]", "add 1 [calculate]"], "94", None),
    ("What is 25 * 4 + 6?", ["multiply 25 by 4 [calculate]", "add 6 [calculate]"], "106", "106"),
]


def isolated_environment(folder: Path) -> dict[str, str]:
    """This process's environment with no MEMENTO_* setting of the user's, and a home, data
    folder and bank inside `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMENTO_")}
    env.update(
        HOME=str(folder),
        XDG_DATA_HOME=str(folder / "share"),
        MEMENTO_STORE=str(folder / "bank"),
        PYTHONPATH=str(ROOT),
        OPENBLAS_NUM_THREADS="1",
    )
    return env


def write_bank() -> dict[str, str]:
    """The tasks, retrieved for and reported as `memento mcp --trusted` would; case ids by
    question."""
    ctx = load_settings(seed=SEED).context  # the store: $MEMENTO_STORE, set by the caller
    embedder = default_embedder(ctx)
    ids: dict[str, str] = {}
    with CaseBank(ctx.store, dim=embedding_dim(embedder)) as bank:
        deps = MementoDeps(bank=bank, embedder=embedder)
        memory = CaseMemory(
            bank, embedder, deps.estimator, ctx, deps.rng_for(ctx), trusted=True
        )  # the person's own script: its ground truths are theirs
        for task, plan, answer, truth in TASKS:
            read = memory.retrieve(task)  # train mode, as `memento mcp` serves by default
            if truth is None:
                outcome = memory.report(read.retrieval_id, answer, reward=0.0, plan=plan)
            else:
                outcome = memory.report(read.retrieval_id, answer, ground_truth=truth, plan=plan)
            ids[task] = outcome.case_id or ""
    return ids


def session(ids: dict[str, str]) -> list[str]:
    """The page's commands, as typed (the ids are the ones this bank gave)."""
    wrong, france = ids[WRONGLY_FAILED], ids["What is the capital of France?"]
    return [
        f'memento cases why "{PROBE}" --visits 1',
        f'memento cases relabel {wrong[:8]} --reward 1 --note "31 * 3 + 1 is 94"',
        f'memento cases why "{PROBE}" --visits 1',
        'memento cases search "multiply two numbers, then add one" --limit 3',
        "memento cases prune --consolidate --max-cases 5 --dry-run",
        "memento cases prune --consolidate",
        f"memento cases delete {france[:4]}",
    ]


def run(command: str, env: dict[str, str]) -> str:
    """What `command` prints on standard output, run as `python -m memento ...` (progress bars
    go to standard error, and are left out)."""
    argv = [sys.executable, "-m", "memento", *shlex.split(command)[1:]]
    done = subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout.rstrip("\n")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="memento-care-") as tmp:
        env = isolated_environment(Path(tmp))
        os.environ.clear()
        os.environ.update(env)
        ids = write_bank()
        blocks = [f"$ {command}\n{run(command, env)}" for command in session(ids)]
    print("\n\n".join(blocks))


if __name__ == "__main__":
    main()
