"""Which shown cases followed credit counts as followed, on a bank that a real model built.

    echo '{"context": {"credit": "shared"}}' > shared.json
    memento eval gsm8k --split train --limit 30 --rounds 2 --memory kernel --max-cycles 1 \
        --concurrency 2 --config shared.json --out DIR
    python -m benchmarks.followed_match DIR/bank --namespace default-kernel --pairs pairs.json

Built with shared credit, the bank gives every case shown to a run a visit with the run's id,
so for each run it holds the run's own case (its plan) and the cases it was shown (theirs).
For every such pair this asks `memory.policy.followed` whether the run followed the case, and
prints how many it counts and how (a step word for word, or the whole plan by meaning, under
the bank's own embedder), and how many runs followed none of theirs (the graph credits the cases
of the plan nearest each such run's; how near it was). `--pairs` writes every pair with both
plans and their cosine, for a person to read against the rule: the rule is only as good as
what such a reading finds.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memory import CaseBank
from memory.policy.followed import credited_cases, followed_cases, plan_cosines


@dataclass
class ShownPair:
    """One case shown to one run: both plans, the rule's verdict, whether the graph credits
    the case (followed, or of the nearest plan where the run followed none), and the plans'
    cosine."""

    run_id: str
    run_question: str
    run_plan: list[str]
    case_question: str
    case_plan: list[str]
    followed: bool
    by_words: bool
    credited: bool
    cosine: float


def shown_pairs(bank: CaseBank, embedder: Embeddings, namespace: str | None) -> list[ShownPair]:
    """Every (run, case shown to it) the bank's visits record, judged by the followed rule."""
    cases = {case.id: case for case in bank.list_cases(namespace=namespace)}
    runs = {case.run_id: case for case in cases.values() if case.run_id}
    shown: dict[str, list[str]] = defaultdict(list)
    for visit in bank.list_visits(namespace=namespace):
        if visit.retrieved and visit.case_id in cases and visit.run_id in runs:
            shown[visit.run_id].append(visit.case_id)
    pairs = []
    for run_id, ids in shown.items():
        run = runs[run_id]
        plans = {i: cases[i].plan for i in dict.fromkeys(ids)}
        followed = followed_cases(run.plan, plans, embedder)
        by_words = followed_cases(run.plan, plans)
        credited = credited_cases(run.plan, plans, embedder)
        cosines = plan_cosines(run.plan, list(plans.values()), embedder)
        for (case_id, plan), cosine in zip(plans.items(), cosines, strict=True):
            pairs.append(
                ShownPair(
                    run_id,
                    run.question,
                    run.plan,
                    cases[case_id].question,
                    list(plan),
                    case_id in followed,
                    case_id in by_words,
                    case_id in credited,
                    round(float(cosine), 3),
                )
            )
    return pairs


def summary(pairs: list[ShownPair]) -> str:
    """The counts a reader checks the rule by."""
    runs: dict[str, bool] = defaultdict(bool)
    for pair in pairs:
        runs[pair.run_id] |= pair.followed
    followed = sum(p.followed for p in pairs)
    words = sum(p.by_words for p in pairs)
    stepless = {p.run_id for p in pairs if not any(s.strip() for s in p.run_plan)}
    nearest = sorted(
        p.cosine for p in pairs if p.credited and not runs[p.run_id] and p.run_id not in stepless
    )
    fallback = f", at cosine {_spread(nearest)}" if nearest else ""
    return (
        f"{len(runs)} runs, {len(pairs)} cases shown to them; followed: {followed} "
        f"({words} by a step word for word, {followed - words} by the whole plan's meaning); "
        f"runs that followed none: {sum(not f for f in runs.values())} ({len(stepless)} without "
        f"steps, credited as shared; {len(nearest)} credit the plan nearest theirs{fallback})"
    )


def _spread(values: list[float]) -> str:
    """Median and range of sorted values, as a reader compares them with the threshold."""
    return f"{values[len(values) // 2]:.2f} (median; {values[0]:.2f}-{values[-1]:.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="the bank's folder or server URL")
    parser.add_argument("--namespace", default=None, help="only this namespace (default: all)")
    parser.add_argument("--pairs", type=Path, help="write every pair to this JSON file")
    args = parser.parse_args(argv)
    from graphs.resources import default_embedder
    from nodes.context import MementoContext

    with CaseBank(args.store, dim=None) as bank:
        pairs = shown_pairs(bank, default_embedder(MementoContext()), args.namespace)
    if not pairs:
        print("no run in this bank has visits to cases it was shown: build it with shared credit")
        return 1
    print(summary(pairs))
    if args.pairs:
        args.pairs.write_text(json.dumps([asdict(p) for p in pairs], indent=1))
        print(f"pairs: {args.pairs}")
    print("reproduce: python -m benchmarks.followed_match " + shlex.join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
