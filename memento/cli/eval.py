"""`memento eval DATASET`: learning curves over a data set, per memory mode, resumable."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from evals.datasets import (
    SHARED_DATASETS,
    DatasetError,
    TaskSet,
    hotpotqa_corpus_path,
    load_dataset,
)
from memento.cli.options import (
    add_context_option,
    add_model_options,
    add_settings_options,
    add_tools_option,
    settings_from_args,
)

if TYPE_CHECKING:
    from tqdm import tqdm

    from evals.runner import EvalPlan, EvalRunner, PhaseProgress
    from graphs.settings import MementoSettings
    from memory.bank.casebank import CaseBank

# The runner and the loop are imported when an evaluation runs, not at start-up.

MEMORY_MODES = ("none", "similarity", "kernel", "parametric")
PLOT_HINT = "needs matplotlib (the eval extra): pip install matplotlib"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="measure accuracy round after round, with and without memory",
        description="Runs a data set through the loop. With --train-on (held-out protocol) each "
        "round trains on the training questions and then measures the test questions in eval "
        "mode (nothing written); round 0 measures an empty bank. Without it every round reruns "
        "the same questions in train mode (the paper's protocol). Re-running with the same "
        "--out resumes where the last run stopped.",
    )
    parser.add_argument(
        "dataset", help=f"one of gsm8k, {', '.join(SHARED_DATASETS[2:])}, or a .jsonl"
    )
    parser.add_argument(
        "--split", default="test", help="split of DATASET (gsm8k: train|test; default: %(default)s)"
    )
    parser.add_argument("--limit", type=int, help="use the first N questions (default: all)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds per memory mode (default: %(default)s); memory none learns nothing, so it "
        "runs one round, drawn as a baseline",
    )
    parser.add_argument(
        "--memory",
        default="none,kernel",
        help=f"comma-separated memory modes to compare: {', '.join(MEMORY_MODES)} "
        "(default: %(default)s)",
    )
    parser.add_argument("--train-on", help="DATASET[:SPLIT] to build the bank on (held-out)")
    parser.add_argument(
        "--train-limit", type=int, help="use the first M training questions (default: all)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="tasks run at once (default: %(default)s)"
    )
    parser.add_argument("--out", help="run folder (default: memento-eval/DATASET-SPLIT)")
    parser.add_argument("--skip-bad", action="store_true", help="skip and count broken records")
    add_settings_options(
        parser,
        store="case bank (default: a bank inside the run folder)",
        namespace="namespace prefix: one namespace per memory mode, PREFIX-kernel and so on "
        "(default: 'default')",
    )
    add_tools_option(parser)
    add_model_options(parser)
    add_context_option(parser, "max_cycles")
    add_context_option(parser, "scorer")
    parser.set_defaults(func=eval_command)


def load_tasks(spec: str, split: str | None, limit: int | None, skip_bad: bool) -> TaskSet:
    """Tasks of `NAME`, `NAME:SPLIT` or a JSONL path, cut to `limit`; skipped records reported."""
    name, _, inline_split = spec.partition(":") if not spec.endswith(".jsonl") else (spec, "", "")
    split = inline_split or split
    if name == "gsm8k":
        name = f"gsm8k-{split or 'test'}"
    tasks = load_dataset(name, skip_bad=skip_bad)
    if tasks.skipped:
        print(f"{name}: skipped {len(tasks.skipped)} broken records", file=sys.stderr)
    if not tasks.tasks:
        raise ValueError(f"{name}: no tasks in {tasks.path}")
    return tasks if limit is None else dataclasses.replace(tasks, tasks=tasks.tasks[:limit])


def eval_command(args: argparse.Namespace) -> int:
    memories = [m.strip() for m in args.memory.split(",") if m.strip()]
    unknown = [m for m in memories if m not in MEMORY_MODES]
    if unknown or not memories:
        print(f"memento eval: unknown memory mode {unknown}; use {MEMORY_MODES}", file=sys.stderr)
        return 2
    try:
        test = load_tasks(args.dataset, args.split, args.limit, args.skip_bad)
        train = None
        if args.train_on:
            train = load_tasks(args.train_on, "train", args.train_limit, args.skip_bad)
    except (DatasetError, ValueError, FileNotFoundError) as exc:
        print(f"memento eval: {exc}", file=sys.stderr)
        return 2
    label = f"{Path(args.dataset).stem}-{args.split}"
    out = Path(args.out or Path("memento-eval") / label)
    args.store = args.store or str(out / "bank")
    settings = settings_from_args(args, scorer=args.scorer, max_cycles=args.max_cycles)
    from evals.runner import EvalPlan

    if args.dataset.startswith("hotpotqa100") and "corpus" not in settings.tool_options:
        settings.tool_options["corpus"] = str(hotpotqa_corpus_path())
    plan = EvalPlan(
        test_tasks=test.tasks,
        train_tasks=train.tasks if train is not None else None,
        memories=memories,  # type: ignore[arg-type]
        rounds=args.rounds,
        concurrency=args.concurrency,
    )
    if plan.protocol == "same-questions":
        print(
            "protocol: same questions every round (the paper's); later rounds can retrieve each "
            "question's own case. Use --train-on for a held-out measurement.",
            file=sys.stderr,
        )
    if "none" in memories and len(memories) > 1:
        print(
            "memory none learns nothing, so it runs one round (not --rounds "
            f"{args.rounds}): the baseline the other modes' rounds are drawn against",
            file=sys.stderr,
        )
    asyncio.run(run_evaluation(settings, plan, out, label))
    return 0


async def run_evaluation(settings: MementoSettings, plan: EvalPlan, out: Path, label: str) -> None:
    """Run (or resume) the plan, then write summary.json, summary.md, report.html and
    learning_curve.png."""
    from evals.report import format_table, plot_curve, summarize
    from evals.results import ResultsLog, dump
    from evals.runner import EvalRunner
    from graphs.graph import build_graph
    from graphs.resources import open_resources
    from memento.cli.endpoint import model_endpoint

    log = ResultsLog(out / "results.jsonl")
    if len(log):
        print(f"resuming: {len(log)} results already in {out / 'results.jsonl'}", file=sys.stderr)
    async with model_endpoint(settings) as settings, open_resources(settings) as deps:
        with PhaseBars() as bars:
            runner = EvalRunner(build_graph(deps), settings.context, log, bars.show)
            await runner.run(plan)
        summary = summarize(log)
        report = await asyncio.to_thread(
            write_eval_report, runner, deps.bank, plan, summary, out / "report.html", label
        )
    dump(out / "summary.json", summary)
    table = format_table(summary)
    (out / "summary.md").write_text(table + "\n")
    print(table)
    plot = plot_curve(summary, out / "learning_curve.png", label)
    print(f"\nresults: {out}/results.jsonl, summary.json, summary.md")
    print(f"report:  {report}")
    print(f"plot:    {plot}" if plot else f"plot:    skipped: {PLOT_HINT}")


REPORT_CASES = 100
"""Cases per memory mode listed in an evaluation's report (the newest)."""


def write_eval_report(
    runner: EvalRunner,
    bank: CaseBank,
    plan: EvalPlan,
    summary: dict[str, object],
    path: Path,
    label: str,
) -> Path:
    """The evaluation's HTML page: curves, accuracy per round, each memory mode's cases with
    reward and Q, and the tasks of the last round."""
    from evals.html_report import Report, write
    from evals.report_data import bank_view
    from memento.cli.bars import progress_callback
    from nodes.estimators import estimator_for

    views = []
    for memory in plan.memories:
        if memory == "none":  # reads an empty namespace and writes nothing
            continue
        ctx = runner.context_for(memory, "train")
        with progress_callback(f"report: Q of {memory} cases", unit="case") as on_progress:
            views.append(
                bank_view(
                    bank,
                    estimator_for(bank, ctx),
                    ctx.namespace,
                    limit=REPORT_CASES,
                    on_progress=on_progress,
                )
            )
    report = Report(f"memento eval {label}", summary=summary, results=list(runner.log), banks=views)
    return write(report, path)


class PhaseBars:
    """One progress bar per phase of an evaluation (memory mode, round, phase), with the
    running accuracy beside the count; a finished phase's bar stays on screen."""

    def __init__(self) -> None:
        self.label: str | None = None
        self.bar: tqdm | None = None

    def show(self, progress: PhaseProgress) -> None:
        from memento.cli.bars import progress_bar

        if progress.label != self.label or self.bar is None:
            self.close()
            self.label = progress.label
            self.bar = progress_bar(
                progress.label, progress.total, unit="task", initial=progress.done
            )
        self.bar.set_postfix_str(progress.summary, refresh=False)
        self.bar.update(progress.done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> PhaseBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
