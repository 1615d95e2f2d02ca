"""A store search ranked by the retrieval policy, and the retrievals it saves for credit.

A search with a query scores every candidate, cases and memories alike, by the policy's Q(s, c)
for the query's state (`MementoStore`'s estimator: the product's kernel Q unless given): a score
that starts at the cosine similarity and moves as far as the candidate's visits near that state
reach (`memory.policy.kernel`); the item's `score` is that value. The
policy scores the `CANDIDATES` nearest of each namespace (or the page, if larger) and the page
is its best, as the graph's retrieve reads K of N.
Memories are credited by their version's id exactly as cases by theirs.

A search made inside a graph run that names its run (`config["configurable"]
["memento_run_id"]`, read through `langgraph.config.get_config()`) saves a retrieval of the
memories it returned, per namespace, tied to that run (`memory.bank.retrievals`); reporting
the run's reward (`MementoStore.report_run`) gives each of them a visit. Outside a run, or in
a run that names none, nothing is saved. Memento's graph names its own runs (the task's
`run_id`, set for its nodes' children by `nodes.node_runnable`) and its `update_q` reports them.
LangGraph Server's run id is not read: it is the root run's callback id (`config["run_id"]`,
langgraph_api's `stream.py`), which LangGraph removes from the configs a node's children get.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memory.bank.casebank import CaseBank
from memory.bank.retrievals import Retrieval, new_retrieval_id
from memory.policy.scores import QEstimator, score_items

CANDIDATES = 32
"""Candidates the policy scores per namespace (the nearest by similarity), however small the
page: what it ranks first may lie below the page by similarity alone (the graph's N)."""
RUN_KEY = "memento_run_id"
"""The `configurable` key naming the run a store search belongs to."""


def current_run() -> str | None:
    """The run id the current graph run names in its `configurable`; None outside a run."""
    try:
        from langgraph.config import get_config

        config: Any = get_config()
    except RuntimeError:  # not inside a runnable
        return None
    run = (config.get("configurable") or {}).get(RUN_KEY)
    return run if isinstance(run, str) and run else None


def save_shown(
    bank: CaseBank,
    run_id: str,
    query: str,
    vector: Sequence[float],
    shown: Sequence[tuple[str, str]],
) -> list[str]:
    """Save one retrieval per namespace of the (namespace, memory id) pairs shown; their ids."""
    by_namespace: dict[str, list[str]] = {}
    for namespace, memory_id in shown:
        by_namespace.setdefault(namespace, []).append(memory_id)
    saved = []
    for namespace, ids in by_namespace.items():
        retrieval = Retrieval(
            id=new_retrieval_id(),
            namespace=namespace,
            question=query,
            shown=ids,
            run_id=run_id,
            kind="memories",
        )
        saved.append(bank.retrievals.save(retrieval, [float(x) for x in vector]).id)
    return saved


def similar_items(
    bank: CaseBank,
    memories: Any,
    estimator: QEstimator,
    vector: Sequence[float],
    namespaces: Sequence[str],
    want: int | None,
    *,
    cases: bool = True,
) -> list[tuple[Any, str | None]]:
    """(SearchItem, memory version id or None for a case) of the cases and memories most
    similar to `vector` in each namespace, best first by the estimator's score (`want` each,
    at least `CANDIDATES`, or all of them when None); the
    memories alone when not `cases` (`memento mcp`'s search_memories)."""
    from memory.adapters.store_cases import case_search_item
    from memory.adapters.store_memories import memory_item

    if want is not None:
        want = max(want, CANDIDATES)
    found: list[tuple[Any, str | None, str]] = []
    for namespace in namespaces if cases else ():
        limit = bank.count(namespace=namespace) if want is None else want
        if limit > 0:
            hits = bank.search(vector, namespace=namespace, limit=limit)
            found += [(case_search_item(h.case, h.similarity), None, h.case.id) for h in hits]
    for memory, similarity in memories.similar(vector, namespaces, want):
        found.append((memory_item(memory, similarity, found=True), memory.id, memory.id))
    parts = score_items(estimator, vector, [(pid, i.score) for i, _, pid in found])
    for (item, _, _), score in zip(found, parts.score, strict=True):
        item.score = float(score)
    found.sort(key=lambda hit: hit[0].score or 0.0, reverse=True)
    return [(item, memory_id) for item, memory_id, _ in found]
