"""`memento cases list|show|check|export|import`: read the case bank, back it up and move it.

Correcting, forgetting and explaining (`delete`, `relabel`, `prune`, `why`, `search`) are in
`memento.cli.cases_care`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from memento.cli import cases_care, cases_explain, cases_report
from memento.cli.cases_care import elsewhere, open_bank, resolve_case
from memento.cli.options import add_settings_options, settings_from_args
from memento.cli.terminal import printable

if TYPE_CHECKING:
    from memory.bank.records import Case

# The bank (Qdrant) is imported by the commands that open it, not at start-up.

VISITS_SHOWN = 10
"""Visits `cases show` lists (the last ones); it says how many there are in all."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cases", help="inspect, correct and prune the case bank")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the newest cases, one line each")
    add_settings_options(listing)
    listing.add_argument(
        "--limit", type=int, default=20, help="cases shown, newest first (default: %(default)s)"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=list_command)
    check = actions.add_parser("check", help="integrity check: records parse, counts agree")
    add_settings_options(check)
    check.add_argument("--all-namespaces", action="store_true", help="check the whole store")
    check.set_defaults(func=check_command)
    export = actions.add_parser("export", help="write the whole bank to a JSONL file")
    add_settings_options(export, ["config", "store"])  # every namespace goes
    export.add_argument(
        "file",
        type=Path,
        help="the JSONL file to write: every namespace's cases, memories and steps of credit",
    )
    export.set_defaults(func=export_command)
    load = actions.add_parser(
        "import",
        help="store an exported JSONL file in the bank: every line is checked first, and all "
        "of it is stored or none",
    )
    add_settings_options(load, ["config", "store"])  # records keep their namespaces
    load.add_argument("file", type=Path, help="a file written by `memento cases export`")
    load.add_argument(
        "--trusted",
        action="store_true",
        help="a backup of your own: cases keep their provenance (default: marked 'imported', "
        "shown to the planner as unverified)",
    )
    load.add_argument(
        "--skip-bad", action="store_true", help="import the valid records, list the bad lines"
    )
    load.set_defaults(func=import_command)
    show = actions.add_parser(
        "show", help="one case in full, with its visits and every attempt of its question"
    )
    add_settings_options(show)
    show.add_argument("case_id", help="a case id, or a unique prefix of one")
    show.set_defaults(func=show_command)
    cases_care.register(actions)
    cases_explain.register(actions)
    cases_report.register(actions)


def list_command(args: argparse.Namespace) -> int:
    namespace = settings_from_args(args).context.namespace
    with open_bank(args) as bank:
        cases = bank.list_cases(namespace=namespace, limit=args.limit)
        total = bank.count(namespace=namespace)
        hint = None if total or args.json else elsewhere(bank, namespace)
    if args.json:
        for case in cases:
            print(case.model_dump_json())
        return 0
    shown = f"; the newest {len(cases)} shown (--limit)" if len(cases) < total else ""
    print(hint or f"{total} cases in namespace {namespace!r}; newest first{shown}")
    for case in cases:
        when = dt.datetime.fromtimestamp(case.updated_at).strftime("%Y-%m-%d %H:%M")
        question = printable(" ".join(case.question.split()))[:70]
        source = case.provenance.replace("_", "-")
        print(
            f"{case.id[:8]}  r={case.reward:.2f}  x{case.attempts}  {when}  {source:<12} {question}"
        )
    return 0


def check_command(args: argparse.Namespace) -> int:
    from memory.care.integrity import check_bank

    namespace = None if args.all_namespaces else settings_from_args(args).context.namespace
    with open_bank(args) as bank:
        report = check_bank(bank, namespace=namespace)
    scope = "all namespaces" if namespace is None else f"namespace {namespace!r}"
    print(f"{report.cases} cases, {report.visits} visits ({report.steps} steps) in {scope}")
    for problem in report.problems:
        print(f"problem: {problem}")
    print("ok" if report.ok else f"{len(report.problems)} problems")
    return 0 if report.ok else 1


def export_command(args: argparse.Namespace) -> int:
    from memento.cli.bars import progress_callback
    from memory.care.transfer import export_jsonl, output_problem

    if (problem := output_problem(args.file)) is not None:  # as `cases report` says it
        print(f"memento cases export: {problem}", file=sys.stderr)
        return 2
    with open_bank(args) as bank, progress_callback("export", unit="record") as on_progress:
        cases, steps = export_jsonl(bank, args.file, on_progress=on_progress)
        memories, visits = bank.memories.count(), bank.count_visits()
    also = f", {memories} memories" if memories else ""
    print(f"exported {cases} cases{also} and {visits} visits{_in_steps(steps)} to {args.file}")
    return 0


def import_command(args: argparse.Namespace) -> int:
    from memento.cli.bars import progress_callback
    from memory.bank.casebank import CaseBank
    from memory.care.export_format import read_header
    from memory.care.transfer import import_jsonl

    dim = read_header(args.file)  # a missing file, or not an export: one line, nothing opened
    store = settings_from_args(args).context.store
    with CaseBank(store, dim=dim) as bank, progress_callback("import", unit="record") as progress:
        report = import_jsonl(
            bank, args.file, trusted=args.trusted, skip_bad=args.skip_bad, on_progress=progress
        )
    also = f", {report.memories} memories" if report.memories else ""
    credit = f"{report.visits} visits{_in_steps(report.steps)}"
    print(f"imported {report.cases} cases{also} and {credit} from {args.file}")
    if report.marked_imported:  # untrusted: say what that overruled, and how to keep it
        was = ", ".join(f"{n} {p.replace('_', '-')}" for p, n in report.marked_imported.items())
        print(
            f"marked {sum(report.marked_imported.values())} cases 'imported' (unverified; they "
            f"were {was}): --trusted keeps their provenance, for a backup of your own"
        )
    for line in report.skipped:
        print(f"skipped {line}")
    return 0


def _in_steps(steps: int) -> str:
    """How many step records the visits exported or imported are (none: an export written
    before steps, whose visits are stored as steps)."""
    return f" in {steps} steps" if steps else ""


def show_command(args: argparse.Namespace) -> int:
    namespace = settings_from_args(args).context.namespace
    with open_bank(args) as bank:
        case = resolve_case(bank, namespace, args.case_id)
        visits = bank.list_visits(case_id=case.id)
        attempts = bank.attempts(case.namespace, case.question)
    _print_case(case)
    listed = f" (the last {VISITS_SHOWN} shown)" if len(visits) > VISITS_SHOWN else ""
    print(f"visits: {len(visits)}{listed}")
    for visit in visits[-VISITS_SHOWN:]:
        print(f"  target={visit.target:.3f} cycle={visit.cycle} run={visit.run_id[:8]}")
    print(f"attempts of this question: {len(attempts)} cases, oldest first")
    for attempt in attempts:
        when = dt.datetime.fromtimestamp(attempt.created_at).strftime("%Y-%m-%d %H:%M")
        mark = "*" if attempt.id == case.id else " "
        answer = printable(" ".join(attempt.answer.split()))[:50]
        counts = f"r={attempt.reward:.2f}  x{attempt.attempts}"
        print(f" {mark}{attempt.id[:8]}  {counts}  {when}  {answer}")
    return 0


def _print_case(case: Case) -> None:
    data = case.model_dump()
    for time_field in ("created_at", "updated_at"):
        data[time_field] = dt.datetime.fromtimestamp(data[time_field]).isoformat(timespec="seconds")
    print(printable(json.dumps(data, indent=2, ensure_ascii=False)))  # C1 codes stay raw in JSON
