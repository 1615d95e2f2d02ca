"""Banks built by hand for the policy's property tests: vectors at a chosen cosine to the task,
and runs that read chosen cases at chosen times."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import numpy as np

from memory import CaseBank, Visit
from memory.policy import RankedCase, read_cases
from nodes.deps import estimator_for
from tests.conftest import make_context


def at_cosine(cosine: float, axis: int, dim: int) -> list[float]:
    """A unit vector at `cosine` to the task (the first axis), leaning towards its own axis."""
    vector = [cosine] + [0.0] * (dim - 1)
    vector[axis] = float(np.sqrt(1 - cosine**2))
    return vector


def add_reads(
    bank: CaseBank,
    case_ids: Sequence[str],
    state: list[float],
    targets: Sequence[float],
    *,
    namespace: str,
    start: float | None = None,
) -> None:
    """One run per target, a second apart from `start` (by default, so that the last is now),
    each reading every case of `case_ids` in `state`: one time per run, as the graph writes
    one step."""
    first = time.time() - len(targets) if start is None else start
    bank.add_visits(
        [
            (
                Visit(
                    id=str(uuid.uuid4()),
                    case_id=case_id,
                    namespace=namespace,
                    target=target,
                    run_id=f"run-{first + i}",
                    created_at=first + i,
                ),
                state,
            )
            for i, target in enumerate(targets)
            for case_id in case_ids
        ]
    )


def read_as_the_graph(
    bank: CaseBank,
    task: list[float],
    *,
    namespace: str,
    mode: str = "eval",
    seed: int = 0,
    **overrides: object,
) -> tuple[list[RankedCase], list[RankedCase]]:
    """The ranked candidates and the cases shown for `task`, read as the graph's retrieve node
    reads them under the default context with `overrides`."""
    ctx = make_context(namespace=namespace, mode=mode, **overrides)
    return read_cases(
        bank,
        estimator_for(bank, ctx),
        task,
        namespace=namespace,
        limit=ctx.num_candidates,
        k=ctx.top_k,
        alpha=ctx.alpha,
        mode=ctx.mode,
        rng=np.random.default_rng(seed),
        min_similarity=ctx.min_similarity,
    )
