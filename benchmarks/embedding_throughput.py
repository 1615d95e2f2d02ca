"""Throughput of the default offline embedder (memory/embeddings/minilm.py: all-MiniLM-L6-v2, int8
ONNX).

The figures the scale table needs, as JSON; `embedder_speed.py` compares corpora and threads.

Batched `embed_documents` (sentences/s) and single `embed_query` latency (what retrieve pays per
task), on task-like sentences. Prints "skipped" when the offline embedder is not installed.

    python -m benchmarks.embedding_throughput
    python -m benchmarks.embedding_throughput --sentences 2000 --out embed.json
"""

from __future__ import annotations

import argparse
import time

from benchmarks.report import emit, percentiles, timed

SKIPPED = "skipped: offline embedder not installed"


def sentences(n: int) -> list[str]:
    """Task-like questions of varied length (10 to 40 words)."""
    words = "how much is the total cost of the items listed when tax and shipping are added"
    words = words.split(" ")
    return [
        f"Task {i}: " + " ".join(words[(i + k) % len(words)] for k in range(10 + i % 31)) + "?"
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    try:
        from memory.embeddings.minilm import MiniLMEmbedder
    except ImportError:
        emit("embedding_throughput", {"skipped": True}, SKIPPED, args.out)
        return
    embedder = MiniLMEmbedder()
    texts = sentences(args.sentences)
    embedder.embed_documents(texts[: args.batch])  # load the model before timing
    start = time.perf_counter()
    for i in range(0, len(texts), args.batch):
        embedder.embed_documents(texts[i : i + args.batch])
    per_second = len(texts) / (time.perf_counter() - start)
    query = percentiles(timed(args.queries, lambda i: embedder.embed_query(texts[i])))
    figures = {"sentences": len(texts), "batch": args.batch, "sentences_per_s": round(per_second)}
    figures["embed_query"] = query
    summary = f"{per_second:.0f} sentences/s batched; embed_query p50 {query['p50_ms']} ms"
    emit("embedding_throughput", figures, summary, args.out)


if __name__ == "__main__":
    main()
