"""What `bank_scale` measures on an open case bank: node latencies, where retrieve's time
goes, the HNSW search's recall, and resident memory.

The retrieve node runs as the graph runs it (candidate search + kernel Q over the nearest visits
+ soft policy sampling) with precomputed embeddings, so embedding costs nothing in the figures;
write_case + update_q run for the same tasks afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from benchmarks.report import percentiles, resident_mb
from benchmarks.scale_data import NAMESPACE, SyntheticBank
from graphs import MementoContext, State
from memory import CaseBank, KernelQ
from nodes import MementoDeps, make_retrieve, make_update_q, make_write_case
from nodes.schemas import Judgement


class PrecomputedEmbedder(Embeddings):
    """Hands out precomputed vectors in order: embedding costs nothing in these figures."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.next = 0

    def embed_query(self, text: str) -> list[float]:
        vector = self.vectors[self.next % len(self.vectors)]
        self.next += 1
        return vector.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


def context(location: str) -> MementoContext:
    return MementoContext(
        store=location, base_url="http://127.0.0.1:9/v1", namespace=NAMESPACE, retrieval="kernel"
    )


async def node_latencies(bank: CaseBank, queries: np.ndarray, ctx: MementoContext) -> dict:
    """The retrieve node per query, then write_case + update_q for the same tasks."""
    deps = MementoDeps(bank=bank, embedder=PrecomputedEmbedder(queries))
    retrieve, write_case, update_q = (make(deps) for make in _NODES)
    runtime = Runtime(context=ctx, stream_writer=lambda _: None)
    states, retrieve_s = [], []
    for i in range(len(queries)):
        state = State(task=f"New task {i} {uuid.uuid4().hex}: how much is the total?")
        start = time.perf_counter()
        update = await retrieve(state, runtime)
        retrieve_s.append(time.perf_counter() - start)
        _apply(state, update)
        state.final_answer = "42"
        state.judgement = Judgement(reward=1.0, method="numeric")
        states.append(state)
    update_s = []
    for state in states:
        start = time.perf_counter()
        _apply(state, await write_case(state, runtime))
        await update_q(state, runtime)
        update_s.append(time.perf_counter() - start)
    return {"retrieve": percentiles(retrieve_s[5:]), "update": percentiles(update_s[5:])}


_NODES = (make_retrieve, make_write_case, make_update_q)


def _apply(state: State, update: dict[str, Any]) -> None:
    """A node's update as the graph applies it here: `Overwrite` (retrieve resets the lists of
    the task before) replaces the value it wraps."""
    for key, value in update.items():
        setattr(state, key, value.value if isinstance(value, Overwrite) else value)


def parts(bank: CaseBank, queries: np.ndarray, ctx: MementoContext) -> dict[str, Any]:
    """Where retrieve's time goes: the candidate search, and Q over the nearest visits."""
    estimator = KernelQ(bank, visits_per_case=ctx.visits_per_case)
    search_s, q_s, visits_read = [], [], []
    for query in queries:
        start = time.perf_counter()
        found = bank.search(query.tolist(), namespace=NAMESPACE, limit=ctx.num_candidates)
        mid = time.perf_counter()
        estimator.q_values(query, found)
        search_s.append(mid - start)
        q_s.append(time.perf_counter() - mid)
        ids = [c.case.id for c in found]
        visits_read.append(len(bank.nearest_visits(query.tolist(), ids, per_case=32)))
    return {
        "search": percentiles(search_s),
        "kernel_q": percentiles(q_s),
        "visits_read_max": int(max(visits_read)),
        "visits_read_bound": ctx.num_candidates * ctx.visits_per_case,
        "search_recall": search_recall(bank, queries[:20], ctx.num_candidates),
        "beam_widths": beam_widths(bank, queries[:50], ctx.num_candidates)
        if bank.engine == "edge"
        else None,
    }


def search_recall(bank: CaseBank, queries: np.ndarray, limit: int) -> float | None:
    """Share of the exact top `limit` cases that the (HNSW) search found, on Qdrant Edge."""
    if bank.engine != "edge":
        return None  # the other embedded engines search exactly
    return beam_widths(bank, queries, limit)["default"]["recall"]


def beam_widths(bank: CaseBank, queries: np.ndarray, limit: int) -> dict[str, dict[str, float]]:
    """Recall and search p50 of the case search at the default HNSW beam width and others."""
    import qdrant_edge as qe

    from memory.engines import edge_collection

    shard = bank._cases.shard  # type: ignore[attr-defined]
    exact = []
    for query in queries:
        request = qe.QueryRequest(
            limit=limit,
            query=qe.Query.Nearest(query.tolist()),
            params=qe.SearchParams(
                exact=True, quantization=qe.QuantizationSearchParams(ignore=True)
            ),
        )
        exact.append({str(p.id) for p in shard.query(request)})
    default, figures = edge_collection.SEARCH_EF, {}
    for ef in (default, 32, 64, 128, 256):
        edge_collection.SEARCH_EF = ef
        found, times = 0, []
        for query, truth in zip(queries, exact, strict=True):
            start = time.perf_counter()
            hits = bank.search(query.tolist(), namespace=NAMESPACE, limit=limit)
            times.append(time.perf_counter() - start)
            found += len({s.case.id for s in hits} & truth)
        key = "default" if ef == default and "default" not in figures else f"ef{ef}"
        figures[key] = {
            "ef": ef,
            "recall": round(found / (limit * len(queries)), 4),
            "search_p50_ms": round(float(np.median(times)) * 1e3, 3),
        }
    edge_collection.SEARCH_EF = default
    return figures


def measure(bank: CaseBank, data: SyntheticBank, queries: int) -> dict[str, Any]:
    """Latencies and resident memory of an open bank."""
    ctx = context(bank.location)
    figures = asyncio.run(node_latencies(bank, data.queries(queries + 5, seed=11), ctx))
    figures |= parts(bank, data.queries(queries, seed=7), ctx)  # other tasks: no warm cache
    figures["rss_mb"] = resident_mb()
    figures["rss_anon_mb"] = resident_mb("RssAnon")
    figures["rss_file_mb"] = resident_mb("RssFile")
    return figures
