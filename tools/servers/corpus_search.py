"""A corpus search MCP server: BM25 over a local file of passages, with the index cached on disk.

The corpus comes from ``--corpus PATH`` or ``$MEMENTO_CORPUS``; the index cache folder from
``--cache-dir`` or ``$MEMENTO_CORPUS_CACHE_DIR`` (see `tools.servers.corpus` for the formats and
the default cache place). Run it alone with
``python -m tools.servers.corpus_search --corpus ../shared/data/hotpotqa100/corpus.json``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass

from mcp.server.fastmcp import FastMCP

from tools.servers.corpus import CorpusError, CorpusIndex, Passage, SearchHit
from tools.servers.startup_error import serve_startup_error

MAX_K = 50


@dataclass
class SearchResults:
    """What `search` returns: the query and its hits, best first."""

    query: str
    hits: list[SearchHit]


def build_server(corpus: CorpusIndex) -> FastMCP:
    """The MCP server with `search` and `read_passage` over `corpus`."""
    mcp = FastMCP("corpus_search", log_level="WARNING")

    @mcp.tool()
    def search(query: str, k: int = 5) -> SearchResults:
        """Search the local document corpus by keywords (BM25). Returns the best passages with
        their id, title, score and the start of their text; read a whole passage with
        read_passage(id). Use the names and key words of what you look for as the query."""
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        return SearchResults(query=query, hits=corpus.search(query, k))

    @mcp.tool()
    def read_passage(id: str) -> Passage:
        """The whole text of one passage, by the id that search returned (a title works too)."""
        return corpus.passage(id)

    return mcp


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Memento's corpus search MCP server (stdio).")
    parser.add_argument(
        "--corpus",
        default=os.environ.get("MEMENTO_CORPUS"),
        help="JSON or JSONL file of passages (env MEMENTO_CORPUS)",
    )
    parser.add_argument(
        "--cache-dir",
        default=os.environ.get("MEMENTO_CORPUS_CACHE_DIR"),
        help="folder for the index cache (env MEMENTO_CORPUS_CACHE_DIR)",
    )
    args = parser.parse_args(argv)
    if not args.corpus:
        parser.error("no corpus: pass --corpus PATH or set MEMENTO_CORPUS")
    try:
        corpus = CorpusIndex.open(args.corpus, cache_dir=args.cache_dir)
    except (CorpusError, MemoryError, RecursionError) as exc:
        serve_startup_error("corpus_search", str(exc) or f"{type(exc).__name__} on {args.corpus}")
        return
    build_server(corpus).run()


if __name__ == "__main__":
    main()
