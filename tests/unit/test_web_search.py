"""The SearxNG client, against a stand-in instance on loopback (no network)."""

from __future__ import annotations

import socket

import pytest

from tests.searxng_stub import stub_searxng
from tools.servers.web_search import WebSearchError, search_endpoint, searxng_search


async def test_results_come_back_cut_to_k_with_answers() -> None:
    with stub_searxng() as searxng:
        found = await searxng_search(searxng.url + "/", "capital of France", k=3)
    assert [r.url for r in found.results] == [f"https://example.org/{n}" for n in (1, 2, 3)]
    assert found.results[0].title == "Result 1" and found.answers == ["Paris"]
    assert searxng.queries == [{"q": ["capital of France"], "format": ["json"]}]


def test_the_search_endpoint_is_found_from_either_url() -> None:
    assert search_endpoint("http://h:8888/") == "http://h:8888/search"
    assert search_endpoint("http://h:8888/search") == "http://h:8888/search"


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_an_unreachable_instance_is_named() -> None:
    url = f"http://127.0.0.1:{_unused_port()}"
    with pytest.raises(WebSearchError, match=f"SearxNG at {url} is unreachable"):
        await searxng_search(url, "anything")


async def test_json_output_switched_off_is_explained() -> None:
    with stub_searxng(status=403) as searxng, pytest.raises(WebSearchError, match="search.formats"):
        await searxng_search(searxng.url, "anything")


async def test_other_failures_are_named() -> None:
    with stub_searxng(status=500) as searxng, pytest.raises(WebSearchError, match="HTTP 500"):
        await searxng_search(searxng.url, "anything")
    with stub_searxng(reply=[1, 2]) as searxng, pytest.raises(WebSearchError, match="not a JSON"):
        await searxng_search(searxng.url, "anything")
    with pytest.raises(WebSearchError, match="k must be between 1 and 20"):
        await searxng_search("http://127.0.0.1:9", "anything", k=0)
