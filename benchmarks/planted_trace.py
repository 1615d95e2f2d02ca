"""One seed's planted cases read by read: each case still above mu 0.05 after its third failed
read (or every one, `--all`), appearance by appearance (mu, similarity, Q, read, failed), and
what the bank credited it (`benchmarks.planted_watch`). About 10 s a seed:

    python -m benchmarks.planted_trace --world planted --seed 2
"""

from __future__ import annotations

import argparse
import asyncio

from benchmarks.learning_runs import run_rule, world_embedder
from benchmarks.planted_watch import PlantedWatch, planted_check, trace_lines
from benchmarks.suite_rules import Rule, parse_rule
from evals.worlds import World, world_named


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one seed's planted cases, read by read")
    parser.add_argument("--world", default="planted")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", default="kernel", help="a rule as the suite takes it")
    parser.add_argument("--all", action="store_true", help="every planted case, not only late")
    args = parser.parse_args(argv)
    try:
        spec = world_named(args.world)
    except ValueError as error:
        parser.error(str(error))
    if not spec.config.planted_per_family:
        parser.error(f"world {args.world!r} plants no cases (`planted` does)")
    rule = parse_rule(args.rule)
    if not isinstance(rule, Rule):
        parser.error(str(rule))
    world = World.build(spec.config, args.seed)
    watch = PlantedWatch()
    embedder = world_embedder(spec.config.embedder)
    run = asyncio.run(run_rule(rule.label, rule.overrides, world, embedder, spec.rounds, watch))
    print("\n".join(trace_lines(watch, args.all)))
    print(planted_check(run.planted)[0])
    print(
        f"reproduce with: python -m benchmarks.planted_trace --world {args.world} "
        f"--seed {args.seed} --rule {args.rule}{' --all' if args.all else ''}"
    )


if __name__ == "__main__":
    main()
