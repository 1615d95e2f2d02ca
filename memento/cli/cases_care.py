"""`memento cases delete|relabel|prune`: correct and forget cases of the bank.

The work lives in `memory.care` (one module per job); these handlers read
the options, resolve case ids (a full id or a unique prefix within the namespace) and print.
Explaining (`why`, `search`) is in `memento.cli.cases_explain`.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from collections import Counter
from typing import TYPE_CHECKING

from memento.cli.options import add_settings_options, settings_from_args
from memento.cli.terminal import counted, one_line

if TYPE_CHECKING:
    from memory.bank.casebank import CaseBank
    from memory.bank.records import Case
    from memory.care import Progress

AMBIGUOUS_LISTED = 10
"""Cases named when an id prefix matches several."""
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "": 86_400}


def register(actions: argparse._SubParsersAction) -> None:
    delete = actions.add_parser("delete", help="remove cases and their visits")
    add_settings_options(delete)
    delete.add_argument("case_ids", nargs="+", metavar="ID", help="case ids or unique prefixes")
    delete.set_defaults(func=delete_command)
    relabel = actions.add_parser("relabel", help="overrule the judge: give a case another reward")
    add_settings_options(relabel)
    relabel.add_argument("case_id", metavar="ID", help="a case id or a unique prefix of one")
    relabel.add_argument("--reward", type=float, required=True, help="the reward, in [0, 1]")
    relabel.add_argument("--note", default="", help="why (kept in the case's rationale)")
    relabel.set_defaults(func=relabel_command)
    prune = actions.add_parser("prune", help="forget cases by age, Q or budget; merge duplicates")
    add_settings_options(prune)
    prune.add_argument("--older-than", type=duration, help="unused for this long: 30d, 12h, 90m")
    prune.add_argument("--q-below", type=float, help="Q at the case's own question below this")
    prune.add_argument(
        "--min-visits",
        type=int,
        default=3,
        help="reads a case needs before --q-below judges it (default: %(default)s)",
    )
    prune.add_argument("--max-cases", type=int, help="keep at most this many (least recent go)")
    prune.add_argument("--consolidate", action="store_true", help="merge near-duplicate cases")
    prune.add_argument("--dry-run", action="store_true", help="show what would go; change nothing")
    prune.set_defaults(func=prune_command)


def duration(text: str) -> float:
    """Seconds in '30d', '12h', '90m', '45s', '2w' or a bare number of days."""
    found = _DURATION.match(text)
    if not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30d, 12h or 90m")
    return float(found.group(1)) * _SECONDS[found.group(2)]


def open_bank(args: argparse.Namespace) -> CaseBank:
    from memory.bank.casebank import CaseBank

    return CaseBank(settings_from_args(args).context.store, dim=None)


def elsewhere(bank: CaseBank, namespace: str) -> str | None:
    """For a namespace with no cases: one line naming the namespaces that have some (a common
    mix-up: `memento eval` writes to one namespace per memory mode, e.g. 'default-kernel').
    Reads every case, so only asked when the namespace is empty."""
    counts = Counter(case.namespace for case in bank.list_cases())
    if not counts or counts.get(namespace):
        return None
    named = ", ".join(f"{name!r} ({count})" for name, count in counts.most_common(5))
    more = f" and {len(counts) - 5} more" if len(counts) > 5 else ""
    found = f"this bank has cases in {named}{more} (--namespace)"
    return f"namespace {namespace!r} has no cases; {found}"


def resolve_case(bank: CaseBank, namespace: str, ref: str) -> Case:
    """The namespace's case with this id, or the only one whose id starts with `ref`."""
    from memory.errors import CaseBankError

    case = bank.get(ref) if is_uuid(ref) else None
    if case is not None and case.namespace == namespace:  # another namespace's case is not found
        return case
    matches = [c for c in bank.list_cases(namespace=namespace) if c.id.startswith(ref.lower())]
    if not matches:
        raise CaseBankError(f"no case with id {ref!r} in namespace {namespace!r}")
    if len(matches) > 1:  # name them, so the user can pick one by a longer prefix
        listed = "".join(f"\n  {c.id}  {_question(c)}" for c in matches[:AMBIGUOUS_LISTED])
        more = len(matches) - AMBIGUOUS_LISTED
        listed += f"\n  ... and {_n(more, 'more case')}" if more > 0 else ""
        raise CaseBankError(
            f"{len(matches)} cases with id {ref!r} in namespace {namespace!r}; give more of "
            f"the id:{listed}"
        )
    return matches[0]


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def delete_command(args: argparse.Namespace) -> int:
    namespace = settings_from_args(args).context.namespace
    with open_bank(args) as bank:
        cases = {c.id: c for c in (resolve_case(bank, namespace, r) for r in args.case_ids)}
        visits = sum(len(bank.list_visits(case_id=case_id)) for case_id in cases)
        bank.delete(list(cases))
    for case in cases.values():
        print(f"deleted {case.id[:8]}  {_question(case)}")
    print(f"deleted {_n(len(cases), 'case')} and {_n(visits, 'visit')} from {namespace!r}")
    return 0


def relabel_command(args: argparse.Namespace) -> int:
    from memory.care.relabelling import relabel

    namespace = settings_from_args(args).context.namespace
    with open_bank(args) as bank:
        case = resolve_case(bank, namespace, args.case_id)
        done = relabel(bank, case.id, args.reward, note=args.note)
    old, new = done.old, done.new
    print(f"relabelled {old.id[:8]} (reward {old.reward:.2f}, {old.provenance.replace('_', '-')})")
    print(f"  as       {new.id[:8]} (reward {new.reward:.2f}, relabelled)  {_question(new)}")
    print(f"  {_n(done.visits_rewritten, 'visit')} its run wrote now carry reward {new.reward:.2f}")
    print(f"  {_n(done.visits_dropped, 'visit')} crediting the old label removed with it")
    return 0


def prune_command(args: argparse.Namespace) -> int:
    from memento.cli.bars import progress_callback
    from memory.care import prune
    from nodes.estimators import estimator_for

    ctx = settings_from_args(args).context
    rules = (args.older_than, args.q_below, args.max_cases)
    if all(rule is None for rule in rules) and not args.consolidate:
        print(
            "memento cases prune: give a rule: --older-than, --q-below, --max-cases or "
            "--consolidate",
            file=sys.stderr,
        )
        return 2
    if args.max_cases is not None and args.max_cases < 0:
        print("memento cases prune: --max-cases must be 0 or more", file=sys.stderr)
        return 2
    verb = "would remove" if args.dry_run else "removed"
    with open_bank(args) as bank, progress_callback("prune", unit="case") as on_progress:
        merged = (
            _consolidate(bank, ctx.namespace, dry_run=args.dry_run, on_progress=on_progress)
            if args.consolidate
            else []
        )
        if any(rule is not None for rule in rules):
            plan = prune(
                bank,
                ctx.namespace,
                older_than_s=args.older_than,
                q_below=args.q_below,
                estimator=estimator_for(bank, ctx) if args.q_below is not None else None,
                min_visits=args.min_visits,
                max_cases=args.max_cases,
                dry_run=args.dry_run,
                gone=merged if args.dry_run else (),
                on_progress=on_progress,
            )
            for doomed in plan.doomed:
                print(f"{verb} {doomed.case.id[:8]}  {doomed.reason:<24} {_question(doomed.case)}")
            print(f"{verb} {_n(len(plan.doomed), 'case')}, {plan.kept} stay in {ctx.namespace!r}")
    if args.dry_run:
        print("dry run: nothing was changed")
    return 0


def _consolidate(
    bank: CaseBank, namespace: str, *, dry_run: bool, on_progress: Progress
) -> list[str]:
    """Merge (or show) near-duplicates; returns the ids merged away."""
    from memory.care import consolidate

    groups, done = consolidate(bank, namespace, dry_run=dry_run, on_progress=on_progress)
    for group in groups:
        keeper = group.keeper
        print(f"keep  {keeper.id[:8]}  x{keeper.attempts}  {_question(keeper)}")
        for case in group.merged:
            print(f"  merge {case.id[:8]}  x{case.attempts}  {_question(case)}")
    merged = sum(len(g.merged) for g in groups)
    moved = f"; kept cases gained {_n(done.visits_moved, 'visit')}" if done is not None else ""
    verb = "would merge" if dry_run else "merged"
    print(f"{verb} {_n(merged, 'near-duplicate case')} into {len(groups)}{moved}")
    return [case.id for group in groups for case in group.merged]


_n = counted


def _question(case: Case, limit: int = 70) -> str:
    return one_line(case.question, limit)
