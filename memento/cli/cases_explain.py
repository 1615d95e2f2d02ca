"""`memento cases why|search`: why a task would get the cases it gets, and cases by meaning.

`why` runs the policy's read side as a held-out run would (`memory.care.explanation`) and prints
every candidate with the parts of its score (similarity, learned Q, the evidence behind it and
its weight, any optimism bonus), mu, and the visits behind Q with their age; it says in one line
each what a reader could not tell from the numbers: how the score is made, which attempts were
left out (one attempt of a question is shown), which cases start from their plan's record
because the plan stopped working near the task, and what a Q below 0 means.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from memento.cli.cases_care import open_bank
from memento.cli.options import add_settings_options, settings_from_args
from memento.cli.terminal import counted, one_line

if TYPE_CHECKING:
    from memory.care.explanation import Candidate
    from memory.policy.scores import Selection
    from nodes.context import MementoContext

NEGATIVE_Q = "Q below 0: runs that read the case did worse than runs that left it unread"
PLAN_CHANGED = (
    "its plan stopped working here (its cases' newest reads near the task failed): the score "
    "starts from the plan's record since, {prior:+.3f}, not the similarity; its visits from "
    "before weigh less than their age says, and the record's weight is evidence for its bonus"
)
HEADER = "   sim     Q       evidence weight  bonus  score    mu     reward  case      question"


def register(actions: argparse._SubParsersAction) -> None:
    why = actions.add_parser("why", help="the candidates a task would get, and why")
    add_settings_options(why)
    why.add_argument("task", help="the task whose candidates to show, with their sim, Q and mu")
    why.add_argument(
        "--visits", type=int, default=3, help="nearest visits shown per case (default: %(default)s)"
    )
    why.set_defaults(func=why_command)
    search = actions.add_parser("search", help="find cases by meaning")
    add_settings_options(search)
    search.add_argument("text", help="what to look for: cases are found by meaning, not words")
    search.add_argument(
        "--limit", type=int, default=10, help="cases shown, best first (default: %(default)s)"
    )
    search.set_defaults(func=search_command)


TRAINING_READS: dict[Selection, str] = {
    "greedy": "reads the top {k} by score + bonus",
    "soft": "draws {k} from mu = softmax((score + bonus) / alpha)",
    "epsilon_greedy": "reads the top {k} by score, or with probability epsilon {k} at random",
}


def why_legend(candidates: list[Candidate], ctx: MementoContext, selection: Selection) -> list[str]:
    """What the marks and numbers mean, one line each, where they need saying; `selection`
    is how the estimator explores in training."""
    shown = sum(c.shown for c in candidates)
    training = TRAINING_READS[selection].format(k=ctx.top_k)
    lines = [
        f"* shown: the top {ctx.top_k} by score, one attempt per question (eval mode; training "
        f"{training}): {shown} here"
    ]
    left_out = attempts_left_out(candidates)
    if left_out:
        lines.append(
            f"~ left out: {counted(len(left_out), 'other attempt')} of a question already shown"
        )
    if ctx.retrieval == "kernel":
        moved = "Q" if ctx.credit == "contrastive" else "(Q - sim)"
        lines.append(
            f"score = sim + weight x {moved}, weight = evidence / (evidence + prior_visits), "
            "evidence = the kernel mass of its reads near the task; bonus = optimism x "
            "(1 - weight), in training only"
        )
    if any(c.prior is not None for c in candidates):
        lines.append(
            f"a plan whose cases' newest {ctx.plan_change_after}+ reads near the task all failed "
            "stopped working: its cases start from its record since, their older visits weigh "
            "less, and their bonus is x (1 - the record's weight) (`plan_change_after`)"
        )
    if ctx.retrieval != "similarity" and ctx.credit == "contrastive":
        lines.append(NEGATIVE_Q)
    return lines


def attempts_left_out(candidates: list[Candidate]) -> set[str]:
    """Ids of the candidates left out because another attempt of their question is shown (the
    read side shows one attempt per question, so K slots show K questions)."""
    from memory.bank.identity import normalize_question

    shown = [c for c in candidates if c.shown]
    questions = {normalize_question(c.case.question) for c in shown}
    return {
        c.case.id
        for c in candidates
        if not c.shown and normalize_question(c.case.question) in questions
    }


def _embedded(ctx: MementoContext, text: str) -> list[float]:
    from graphs.resources import default_embedder

    return [float(x) for x in default_embedder(ctx).embed_query(text)]


def why_command(args: argparse.Namespace) -> int:
    from memory.care.explanation import explain
    from nodes.estimators import estimator_for

    ctx = settings_from_args(args).context
    vector = _embedded(ctx, args.task)
    with open_bank(args) as bank:
        estimator = estimator_for(bank, ctx)
        candidates = explain(
            bank,
            estimator,
            vector,
            namespace=ctx.namespace,
            num_candidates=ctx.num_candidates,
            top_k=ctx.top_k,
            alpha=ctx.alpha,
            min_similarity=ctx.min_similarity,
            tau=ctx.tau,
            half_life=ctx.half_life,
            change_after=ctx.change_after,
            per_case=args.visits,
        )
    learned = ctx.retrieval != "similarity"
    q_name = f"{ctx.retrieval} Q" + (f", {ctx.credit} credit" if learned else "")
    floor = f"sim >= {ctx.min_similarity:g}"
    print(f"{counted(len(candidates), 'candidate')} in {ctx.namespace!r} ({q_name}, {floor})")
    for line in why_legend(candidates, ctx, estimator.selection):
        print(line)
    print(HEADER)
    left_out = attempts_left_out(candidates)
    for c in candidates:
        mark = "*" if c.shown else "~" if c.case.id in left_out else " "
        learned = f"{c.learned:+.3f}" if c.visits else "   -  "  # no visits: no Q to show
        print(
            f"{mark}  {c.similarity:.3f}  {learned}  {c.evidence:7.3f}  {c.weight:.3f}"
            f"  {c.bonus:.3f}  {c.q:+.3f}  {c.probability:.3f}  {c.case.reward:.2f}"
            f"    {c.case.id[:8]}  {one_line(c.case.question, 50)}"
        )
        if c.prior is not None:
            print(f"     {PLAN_CHANGED.format(prior=c.prior)}")
        for v in c.nearest:
            state = one_line(v.state, 50) if v.state else "(its run wrote no case)"
            cycle = f" cycle {v.cycle}" if v.cycle else ""
            age = f" (age x{v.age:.2f})" if v.age < 1 else ""
            print(
                f"     visit  cos {v.cosine:.3f}  weight {v.weight:.3f}{age}  target {v.target:.2f}"
                f"  {'read  ' if v.read else 'unread'}  run {v.run_id[:8]}{cycle}  {state}"
            )
        if c.visits > len(c.nearest):
            print(f"     ... and {counted(c.visits - len(c.nearest), 'more visit')}")
        elif not c.visits:
            print("     no visits yet: no Q, the score is its prior")
    return 0


def search_command(args: argparse.Namespace) -> int:
    from memory.care import search_cases

    ctx = settings_from_args(args).context
    vector = _embedded(ctx, args.text)
    with open_bank(args) as bank:
        found = search_cases(bank, vector, namespace=ctx.namespace, limit=args.limit)
    print(f"{len(found)} cases in {ctx.namespace!r} nearest in meaning, best first")
    for scored in found:
        case = scored.case
        source = case.provenance.replace("_", "-")
        print(
            f"{scored.similarity:.3f}  r={case.reward:.2f}  {case.id[:8]}  {source:<12} "
            f"{one_line(case.question, 70)}"
        )
    return 0
