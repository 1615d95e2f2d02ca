"""Where the similarity floor sits in an embedder's geometry (`min_similarity`, issue 25).

The floor keeps cases about something else from being shown; set too high, it also hides the
cases an embedder scores low although they are about the same thing (paraphrases under an
embedder that reads words, not meaning). This prints, per embedder of the learning suite:
the cosines of 190 pairs of unrelated questions (what the floor must stay above), and, over
the `lexical` world's tasks, the similarity of each task's nearest useful case per family
(what it must stay below for those cases to be candidates at all), beside the floor.

    python -m benchmarks.similarity_floor
    python -m benchmarks.similarity_floor --seeds 0 1 2 --floor 0.3
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from benchmarks.learning_runs import world_embedder
from evals.worlds import world_named
from evals.worlds.world import World
from memory.policy import defaults

UNRELATED = (
    "How much does it cost to ship a parcel to Lyon?",
    "What is 17 * 23 + 5?",
    "Translate 'good morning' into Spanish.",
    "Which planet has the most moons?",
    "Summarize the plot of Hamlet in two sentences.",
    "Write a Python function that reverses a list.",
    "What time is it in Tokyo when it is noon in London?",
    "How many grams of flour for 12 cookies instead of 24?",
    "Who won the 1998 football World Cup?",
    "What is the boiling point of water at 2000 m altitude?",
    "List three symptoms of dehydration.",
    "How do I reset my router's admin password?",
    "What was the GDP of Canada in 2019?",
    "Name the capital city of Australia.",
    "How much paint do I need for a 4 by 5 metre wall?",
    "Explain how a binary search works.",
    "What is the monthly payment on a 200000 loan at 5% over 30 years?",
    "Which chess opening starts with e4 e5 Nf3 Nc6 Bb5?",
    "Find the derivative of x^3 sin x.",
    "Recommend a science fiction novel published after 2010.",
)
"""Twenty questions of twenty subjects, no two about the same thing."""


def unit(vectors: list[list[float]]) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float64)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def unrelated_cosines(embedder: object) -> np.ndarray:
    vectors = unit(embedder.embed_documents(list(UNRELATED)))
    return np.array([vectors[i] @ vectors[j] for i, j in itertools.combinations(range(20), 2)])


def nearest_useful(embedder: object, seed: int) -> dict[str, np.ndarray]:
    """Per family of the `lexical` world: each task's cosine to its nearest useful case."""
    world = World.build(world_named("lexical").config, seed)
    found = {}
    for family in world.families:
        tasks = [t.question for t in world.train + world.held_out if t.family == family]
        useful = [t.question for t in world.useful if t.family == family]
        cosines = unit(embedder.embed_documents(tasks)) @ unit(embedder.embed_documents(useful)).T
        found[family.name] = cosines.max(axis=1)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--floor", type=float, default=defaults.MIN_SIMILARITY)
    args = parser.parse_args(argv)
    for name in ("minilm", "lexical"):
        embedder = world_embedder(name)
        cosines = unrelated_cosines(embedder)
        p50, p90, p95, top = np.percentile(cosines, [50, 90, 95, 100])
        above = (cosines >= args.floor).mean()
        print(
            f"{name}: unrelated pairs median {p50:.2f}, p90 {p90:.2f}, p95 {p95:.2f}, "
            f"max {top:.2f}; {above:.0%} at or above the floor {args.floor:g}"
        )
        for seed in args.seeds:
            for family, nearest in nearest_useful(embedder, seed).items():
                kept = (nearest >= args.floor).mean()
                print(
                    f"  seed {seed} {family:<8} nearest useful case: mean {nearest.mean():.2f}, "
                    f"min {nearest.min():.2f}; {kept:.0%} of tasks see one above the floor"
                )
    print(
        f"reproduce with: python -m benchmarks.similarity_floor --seeds "
        f"{' '.join(map(str, args.seeds))} --floor {args.floor:g}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
