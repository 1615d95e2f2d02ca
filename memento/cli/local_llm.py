"""`memento local-llm`: serve the embedded local model until Ctrl-C, for Studio or other apps.

`memento run` and `memento eval` start it by themselves when no endpoint is configured; a
long-lived client (`langgraph dev`, a notebook, your own app) points MEMENTO_BASE_URL at this.
"""

from __future__ import annotations

import argparse
import asyncio

from memento.local_llm import local_llm_server


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "local-llm", help="serve the embedded local model (SmolLM2 on llama.cpp) until Ctrl-C"
    )
    parser.set_defaults(func=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    asyncio.run(_serve())
    return 0


async def _serve() -> None:
    async with local_llm_server() as server:
        print(
            f"serving {server.model} at {server.base_url} (Ctrl-C stops it); in another shell:",
            flush=True,
        )
        print(
            f"  export MEMENTO_BASE_URL={server.base_url} MEMENTO_MODEL={server.model}", flush=True
        )
        await asyncio.Event().wait()
