"""How big the evaluation report page gets, how long it takes to write, and to load in Chromium.

A synthetic evaluation the size of the GSM8K example in docs/evaluation.md: held-out protocol, 100
test and 100 training questions, memory none / similarity / kernel, 3 rounds, every task with two
steps
and a tool call whose texts are at the length a case keeps (500 characters); and a bank of
that run's cases (cases, visits, 384-d vectors) for the two memory modes that write. The page
is written by the same code as `memento eval` (`memento.cli.eval.write_eval_report`), then
loaded with `chromium --headless --dump-dom` when a browser is installed (the tests' check).

    python -m benchmarks.report_page
    python -m benchmarks.report_page --tasks 500 --cases 1000 --out report_page.json
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import emit, steps, stopwatch
from evals.report import summarize
from evals.results import ResultsLog, TaskResult
from evals.runner import EvalPlan, EvalRunner
from graphs import MementoContext
from memento.cli.eval import write_eval_report
from memory import Case, CaseBank, Visit

DIM = 384
TEXT = "x" * 500
MEMORIES = ("none", "similarity", "kernel")


def _trajectory() -> list[dict[str, Any]]:
    call = {"name": "calculate", "args": {"expression": TEXT}, "result": TEXT, "error": False}
    return [
        {"cycle": 0, "step": TEXT, "output": TEXT, "error": None, "tool_calls": [call]}
        for _ in range(2)
    ]


def fill_log(log: ResultsLog, tasks: int, rounds: int, rng: np.random.Generator) -> None:
    for memory in MEMORIES:
        for round_ in range(1 if memory == "none" else rounds + 1):  # "none": round 0 only
            phases = ["eval"] if round_ == 0 or memory == "none" else ["train", "eval"]
            for phase in phases:
                for i in range(tasks):
                    correct = bool(rng.random() < 0.4 + 0.1 * round_ * (memory != "none"))
                    log.append(
                        TaskResult(
                            memory=memory,
                            round=round_,
                            phase=phase,  # type: ignore[arg-type]
                            task_id=f"{phase}{i}",
                            question=f"Question {i} of the {phase} set? {TEXT[:150]}",
                            answer=str(i),
                            reward=float(correct),
                            correct=correct,
                            judge="numeric",
                            trajectory=_trajectory(),
                            retrieved=[str(uuid.uuid4()) for _ in range(4)],
                        )
                    )


def fill_bank(bank: CaseBank, namespace: str, cases: int, rng: np.random.Generator) -> None:
    now = time.time()
    items = []
    for i in range(cases):
        case = Case(
            id="",
            namespace=namespace,
            question=f"Question {i}? {TEXT[:150]}",
            plan=[TEXT[:120], TEXT[:120]],
            trajectory=_trajectory(),
            answer=str(i),
            reward=float(rng.random() < 0.6),
            judge_rationale="numeric match",
            created_at=now + i,
            updated_at=now + i,
        )
        items.append((case, _unit(rng)))
    stored = bank.add_many(items)
    visits = [
        (
            Visit(
                id=str(uuid.uuid4()),
                case_id=case.id,
                namespace=namespace,
                target=float(rng.random()),
                created_at=now,
            ),
            _unit(rng),
        )
        for case in stored
        for _ in range(5)
    ]
    bank.add_visits(visits)


def _unit(rng: np.random.Generator) -> list[float]:
    vector = rng.standard_normal(DIM)
    return (vector / np.linalg.norm(vector)).tolist()


def browser_load(page: Path, profile: Path) -> dict[str, Any] | None:
    """Seconds for headless Chromium to load the page and dump its DOM; its console lines."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    command = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run"]
    command += [f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom"]
    with stopwatch() as load:
        done = subprocess.run(
            [*command, page.as_uri()], capture_output=True, text=True, timeout=300
        )
    console = [line for line in done.stderr.splitlines() if re.search(r":CONSOLE", line)]
    circles = done.stdout.count('class="point"')
    return {"load_s": round(load["s"], 2), "console_lines": len(console), "points": circles}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100, help="test (and training) questions")
    parser.add_argument("--cases", type=int, default=200, help="cases per memory mode's bank")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        figures = measure(folder, args.tasks, args.cases, args.rounds, rng)
    loaded = figures["chromium"]
    browser = (
        "no chromium installed"
        if loaded is None
        else f"Chromium loads it in {loaded['load_s']} s, {loaded['console_lines']} console lines"
    )
    summary = f"{figures['page_kb']:.0f} KB page, written in {figures['write_s']} s; {browser}"
    emit("report_page", figures, summary, args.out)


def measure(
    folder: Path, tasks: int, cases: int, rounds: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Write the page of a synthetic evaluation over a bank on the default engine (Edge)."""
    with CaseBank(f"edge://{folder / 'bank'}", dim=DIM) as bank:
        log = ResultsLog(folder / "results.jsonl")
        fill_log(log, tasks, rounds, rng)
        context = MementoContext(store=":memory:", namespace="bench")
        for memory in steps(MEMORIES[1:], "fill banks", unit="bank"):
            fill_bank(bank, f"bench-{memory}", cases, rng)
        runner = EvalRunner(graph=None, base_context=context, log=log)  # type: ignore[arg-type]
        plan = EvalPlan(test_tasks=[], memories=MEMORIES, rounds=rounds)  # type: ignore[arg-type]
        with stopwatch() as render:
            page = write_eval_report(runner, bank, plan, summarize(log), folder / "r.html", "b")
    return {
        "tasks_logged": len(log),
        "cases_in_banks": 2 * cases,
        "page_kb": round(page.stat().st_size / 1024, 1),
        "write_s": round(render["s"], 2),
        "chromium": browser_load(page, folder / "profile"),
    }


if __name__ == "__main__":
    main()
