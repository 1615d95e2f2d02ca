"""`memento cases report`: one self-contained HTML page of a namespace's cases.

The cases with their reward, Q and visits, the reward of the cases written over time, and each
case's steps; with `--eval RUN_FOLDER`, also that evaluation's learning curves, accuracy per
round and trajectories (what `memento eval` writes to RUN_FOLDER/report.html).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from memento.cli.options import add_settings_options, settings_from_args

if TYPE_CHECKING:
    from evals.html_report import Report

REPORT_CASES = 200


def register(actions: argparse._SubParsersAction) -> None:
    report = actions.add_parser(
        "report", help="write one HTML page of the cases: reward, Q, visits and steps"
    )
    add_settings_options(report)
    report.add_argument(
        "--out",
        type=Path,
        default=Path("memento-report.html"),
        help="the page to write (default: %(default)s)",
    )
    report.add_argument(
        "--limit",
        type=int,
        default=REPORT_CASES,
        help="cases listed, newest first (default: %(default)s)",
    )
    report.add_argument(
        "--eval",
        type=Path,
        dest="eval_folder",
        metavar="RUN_FOLDER",
        help="a `memento eval --out` folder: add its learning curves, accuracy and trajectories",
    )
    report.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:
    from evals import charts
    from evals.html_report import Report, write
    from evals.report_data import bank_view
    from memento.cli.bars import progress_callback
    from memento.cli.cases_care import elsewhere, open_bank
    from memory.care.transfer import output_problem
    from nodes.estimators import estimator_for

    if args.limit < 1:
        print("memento cases report: --limit must be at least 1", file=sys.stderr)
        return 2
    if (problem := output_problem(args.out)) is not None:  # as `cases export` says it
        print(f"memento cases report: {problem}", file=sys.stderr)
        return 2
    report = Report(title="memento cases report")
    if args.eval_folder is not None:
        results = args.eval_folder / "results.jsonl"
        if not results.is_file():
            print(f"memento cases report: no evaluation results at {results}", file=sys.stderr)
            return 2
        _add_evaluation(report, results)
    ctx = settings_from_args(args).context
    with (
        open_bank(args) as bank,
        progress_callback("report: Q of cases", unit="case") as on_progress,
    ):
        view = bank_view(
            bank, estimator_for(bank, ctx), ctx.namespace, limit=args.limit, on_progress=on_progress
        )
        hint = None if view.total else elsewhere(bank, ctx.namespace)
    report.title = f"memento cases report: namespace {ctx.namespace}"
    report.banks = [view]
    try:
        path = write(report, args.out)
    except OSError as exc:
        print(f"memento cases report: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    size = path.stat().st_size // 1024
    print(f"wrote {path} ({size} KB): {len(view.rows)} of {view.total} cases")
    if hint:
        print(hint)
    if not charts.available():
        print(f"no charts on the page: {charts.INSTALL_HINT}")
    return 0


def _add_evaluation(report: Report, path: Path) -> None:
    from evals.report import summarize
    from evals.results import ResultsLog

    log = ResultsLog(path)
    report.summary = summarize(log)
    report.results = list(log)
