"""A web search MCP server backed by a SearxNG instance (off unless a URL is configured).

The instance comes from ``--url`` or ``$MEMENTO_SEARXNG_URL`` (e.g. ``http://localhost:8888``);
``--timeout-s`` / ``$MEMENTO_SEARXNG_TIMEOUT_S`` bounds each request (default 15). SearxNG must
allow JSON output: ``search: formats: [html, json]`` in its settings.yml. Run it alone with
``python -m tools.servers.web_search --url http://localhost:8888``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from mcp.server.fastmcp import FastMCP

MAX_K = 20
SNIPPET_CHARS = 500


class WebSearchError(RuntimeError):
    """SearxNG could not be asked or gave no usable answer; the message names its URL."""


@dataclass
class WebResult:
    """One search result: page title, address, and SearxNG's snippet of its text."""

    title: str
    url: str
    content: str


@dataclass
class WebResults:
    """What `web_search` returns: the query, direct answers if any, and the results."""

    query: str
    results: list[WebResult]
    answers: list[str] = field(default_factory=list)


def search_endpoint(url: str) -> str:
    """The `/search` address of an instance given by its base URL (or its search URL)."""
    url = url.rstrip("/")
    return url if url.endswith("/search") else f"{url}/search"


def _answer_text(answer: object) -> str:
    return str(answer.get("answer", answer)) if isinstance(answer, dict) else str(answer)


def parse_results(query: str, data: object, k: int) -> WebResults:
    """The first k results of a SearxNG JSON reply."""
    if not isinstance(data, dict):
        raise WebSearchError("SearxNG's reply is not a JSON object")
    results = [
        WebResult(
            title=str(item.get("title", "")),
            url=str(item.get("url", "")),
            content=str(item.get("content") or "")[:SNIPPET_CHARS],
        )
        for item in data.get("results", [])[:k]
        if isinstance(item, dict)
    ]
    answers = [_answer_text(a) for a in data.get("answers", [])]
    return WebResults(query=query, results=results, answers=answers)


async def searxng_search(url: str, query: str, k: int = 5, timeout_s: float = 15.0) -> WebResults:
    """Ask the SearxNG instance at `url`; WebSearchError says what went wrong and where."""
    if not query.strip():
        raise WebSearchError("the query is empty")
    if not 1 <= k <= MAX_K:
        raise WebSearchError(f"k must be between 1 and {MAX_K}, got {k}")
    endpoint = search_endpoint(url)
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=True) as client:
            reply = await client.get(endpoint, params={"q": query, "format": "json"})
    except httpx.TransportError as exc:
        raise WebSearchError(
            f"SearxNG at {url} is unreachable ({type(exc).__name__}: {exc}); start it or fix "
            "--url / MEMENTO_SEARXNG_URL"
        ) from exc
    if reply.status_code == 403:
        raise WebSearchError(
            f"SearxNG at {url} refused JSON output (HTTP 403); add json to search.formats "
            "in its settings.yml"
        )
    if reply.status_code != 200:
        raise WebSearchError(f"SearxNG at {url} answered HTTP {reply.status_code}")
    try:
        data = reply.json()
    except ValueError as exc:
        raise WebSearchError(f"SearxNG at {url} did not answer JSON: {exc}") from exc
    return parse_results(query, data, k)


def build_server(url: str, timeout_s: float = 15.0) -> FastMCP:
    """The MCP server with its one tool, `web_search`, against the instance at `url`."""
    mcp = FastMCP("web_search", log_level="WARNING")

    @mcp.tool()
    async def web_search(query: str, k: int = 5) -> WebResults:
        """Search the web. Returns up to k results, each with title, url and a snippet."""
        return await searxng_search(url, query, k, timeout_s)

    return mcp


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Memento's SearxNG web search MCP server.")
    parser.add_argument(
        "--url",
        default=os.environ.get("MEMENTO_SEARXNG_URL"),
        help="base URL of a SearxNG instance (env MEMENTO_SEARXNG_URL)",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=os.environ.get("MEMENTO_SEARXNG_TIMEOUT_S", "15"),
        help="seconds per request (env MEMENTO_SEARXNG_TIMEOUT_S; default 15)",
    )
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("no SearxNG instance: pass --url URL or set MEMENTO_SEARXNG_URL")
    if not args.url.startswith(("http://", "https://")):
        parser.error(f"--url must be an http(s) URL, got {args.url!r}")
    build_server(args.url, args.timeout_s).run()


if __name__ == "__main__":
    main()
