"""How fast the default embedder (all-MiniLM-L6-v2 int8 ONNX) embeds on this machine.

    python benchmarks/embedder_speed.py [--sentences 512] [--batch-size 32] [--threads 1 2]

Two corpora: short one-line questions (like the reference sentences, ~12 words) and GSM8K
training questions (~45 words, from shared/data when present). After a warm-up batch, each is
embedded `--repeats` times; the best and the median sentences/s are printed with the load
average, since other processes on a 2-core machine change these figures a lot.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memory.embeddings.minilm import MiniLMEmbedder

GSM8K = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gsm8k" / "train.jsonl"


def short_questions(count: int) -> list[str]:
    return [
        f"What is {i} times {i % 17 + 3}, plus the number of days in a week?" for i in range(count)
    ]


def gsm8k_questions(count: int) -> list[str]:
    with GSM8K.open(encoding="utf-8") as lines:
        return [json.loads(line)["question"] for _, line in zip(range(count), lines, strict=False)]


def measure(embedder: MiniLMEmbedder, texts: list[str], repeats: int) -> tuple[float, float]:
    embedder.embed_documents(texts[: embedder.batch_size])  # loads the session
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.embed_documents(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return max(rates), statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    corpora = {"short questions": short_questions(args.sentences)}
    if GSM8K.is_file():
        corpora["GSM8K questions"] = gsm8k_questions(args.sentences)
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    for name, texts in corpora.items():
        words = sum(len(t.split()) for t in texts) / len(texts)
        for threads in args.threads:
            embedder = MiniLMEmbedder(batch_size=args.batch_size, threads=threads)
            best, median = measure(embedder, texts, args.repeats)
            print(
                f"{len(texts)} {name} (~{words:.0f} words), batch {args.batch_size}, "
                f"threads={threads}: best {best:.0f}, median {median:.0f} sentences/s"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
