"""How fast the default local LLM (SmolLM2-135M-Instruct Q4_1, llama.cpp via xllamacpp) runs here.

    python benchmarks/local_llm_speed.py [--threads 1 2] [--requests 3] [--max-tokens 128]

Starts the real server (needs the `local` extra) once per thread count, sends one warm-up
request, then `--requests` chat completions through ChatOpenAI that each generate up to
`--max-tokens` tokens, and prints completion tokens per second of wall time (prompt included),
the first-request latency, and the load average, since other processes on a 2-core machine
change these figures a lot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_openai import ChatOpenAI

from memento.local_llm import local_llm_available, local_llm_server

PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."


async def measure(threads: int, requests: int, max_tokens: int) -> None:
    started = time.monotonic()
    async with local_llm_server(n_threads=threads) as server:
        ready_s = time.monotonic() - started
        llm = ChatOpenAI(
            base_url=server.base_url,
            api_key="none",
            model=server.model,
            max_tokens=max_tokens,
            temperature=0.7,
            timeout=300,
            max_retries=0,
        )
        t = time.monotonic()
        await llm.ainvoke("Say hello.")
        first_s = time.monotonic() - t
        tokens, elapsed = 0, 0.0
        for _ in range(requests):
            t = time.monotonic()
            reply = await llm.ainvoke(PROMPT)
            elapsed += time.monotonic() - t
            tokens += (reply.usage_metadata or {}).get("output_tokens", 0)
    print(
        f"threads={threads}: {tokens / elapsed:.1f} tokens/s ({tokens} tokens in {elapsed:.1f} s, "
        f"{requests} requests); server ready in {ready_s:.1f} s, first request {first_s:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    if not local_llm_available():
        from memento.local_llm import INSTALL_HINT

        sys.exit(f"the local LLM is not installed: {INSTALL_HINT}")
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    for threads in args.threads:
        asyncio.run(measure(threads, args.requests, args.max_tokens))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
