"""The embedder's share of a task's non-LLM time, and what reusing vectors saves.

The real graph runs tasks with an instant scripted model and the calculator in process (as in
`benchmarks/graph_overhead.py`), over a bank seeded with synthetic cases, but with the real
default embedder (MiniLM int8 ONNX) wrapped as `open_resources` wraps it (`CachedEmbedder`).
Round 1 asks `--tasks` distinct questions; round 2 asks them again, as an evaluation does.
Per task it counts the texts the model embedded and the time spent in it, against the task's
non-LLM time (wall time minus the model's replies and the tool's function).

    python -m benchmarks.embedding_share
    python -m benchmarks.embedding_share --tasks 50 --bank-size 10000 --out share.json
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.tools import StructuredTool

from benchmarks.graph_overhead import Clock, script, scripted_graph
from benchmarks.report import emit, percentiles
from memory.embeddings.cache import CachedEmbedder
from memory.embeddings.minilm import MiniLMEmbedder


class TimedEmbedder(Embeddings):
    """An embedder that adds up the texts it embeds and the time it takes."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.dim = getattr(inner, "dim", None)
        self.texts = 0
        self.seconds = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        start = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.texts += len(texts)
            self.seconds += time.perf_counter() - start

    def embed_query(self, text: str) -> list[float]:
        start = time.perf_counter()
        try:
            return self.inner.embed_query(text)
        finally:
            self.texts += 1
            self.seconds += time.perf_counter() - start


async def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    clock = Clock()
    tool = StructuredTool.from_function(
        clock.calculate, name="calculate", description="Evaluate an arithmetic expression."
    )
    timed = TimedEmbedder(MiniLMEmbedder())
    timed.embed_query("warm-up: the ONNX session loads here")
    embedder = CachedEmbedder(timed)
    bank, graph, context, current = scripted_graph(args, folder, embedder, tool)
    rounds: dict[str, dict[str, Any]] = {}
    with bank:
        for name in ("first", "repeated"):
            texts, embed_s, non_llm_s = [], [], []
            for i in range(args.tasks):
                current["m"] = script(i)
                clock.seconds = 0.0
                texts_before, seconds_before = timed.texts, timed.seconds
                start = time.perf_counter()
                result = await graph.ainvoke(
                    {"task": f"What is 17 * 23 + {i}?", "ground_truth": str(17 * 23 + i)},
                    context=context,
                )
                total = time.perf_counter() - start
                assert result["judgement"]["reward"] == 1.0, result
                texts.append(timed.texts - texts_before)
                embed_s.append(timed.seconds - seconds_before)
                non_llm_s.append(total - current["m"].seconds - clock.seconds)
            rounds[name] = {
                "texts_embedded_per_task": sum(texts) / len(texts),
                "embedder": percentiles(embed_s),
                "non_llm": percentiles(non_llm_s),
                "embedder_share": round(sum(embed_s) / sum(non_llm_s), 3),
            }
    return {
        "bank_size": args.bank_size,
        "tasks_per_round": args.tasks,
        "load_average": round(os.getloadavg()[0], 2),
        "cache": {"hits": embedder.hits, "misses": embedder.misses},
        **rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--tasks", type=int, default=30, help="distinct questions per round")
    parser.add_argument("--bank-size", type=int, default=1000, help="seeded cases")
    parser.add_argument("--store", choices=["edge", "local", "memory"], default="edge")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures = asyncio.run(run(args, Path(scratch)))
    first, again = figures["first"], figures["repeated"]
    summary = (
        f"new questions: {first['texts_embedded_per_task']:.1f} texts embedded per task, "
        f"embedder p50 {first['embedder']['p50_ms']} ms = {first['embedder_share']:.0%} of "
        f"non-LLM time (p50 {first['non_llm']['p50_ms']} ms); repeated questions: "
        f"{again['texts_embedded_per_task']:.1f} texts, {again['embedder_share']:.0%} of "
        f"non-LLM time (p50 {again['non_llm']['p50_ms']} ms)"
    )
    emit("embedding_share", figures, summary, args.out)


if __name__ == "__main__":
    main()
