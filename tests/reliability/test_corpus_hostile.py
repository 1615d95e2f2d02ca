"""Issue 15.10: a bad corpus is reported with its file and its fault, and its index is compact.

The old server exited on a bad corpus, so a run or `memento tools list` said only "Connection
closed"; now the server answers the tool listing with the error. The old index held a Python
object per passage and a dict per term: 4.1 times the corpus file after opening (tracemalloc,
the synthetic corpus below) and ~14 times at its peak; it is now flat arrays (2.1 times, and
5.4 at the peak of a build).
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from benchmarks.corpus_memory import synthetic_corpus
from memento.cli import main
from tools import ToolServerError, ToolSessions, build_connections
from tools.servers.corpus import CorpusIndex

BAD_CORPORA = {
    "duplicate.jsonl": (
        '{"id": "a", "text": "one"}\n{"id": "a", "text": "two"}\n',
        "passage id 'a' occurs more than once",
    ),
    "broken.jsonl": ('{"id": "a", "text": "one"}\n{"id": \n', "line 2 is not valid JSON"),
    "shape.json": ('{"a": 1}', "unknown corpus format"),
    "typed.json": ('[{"id": "a", "text": {"nested": 1}}]', "passage 0's 'text' is a dict"),
}


@pytest.mark.parametrize("name", list(BAD_CORPORA))
async def test_a_run_names_the_corpus_and_its_fault(tmp_path: Path, name: str) -> None:
    content, fault = BAD_CORPORA[name]
    corpus = tmp_path / name
    corpus.write_text(content, encoding="utf-8")
    connections = build_connections(
        enabled=["corpus_search"], bundled_options={"corpus": str(corpus)}
    )
    with pytest.raises(ToolServerError) as failed:
        async with ToolSessions(connections):
            pass
    message = str(failed.value)
    assert "'corpus_search' failed to start" in message
    assert str(corpus) in message and fault in message
    assert "Connection closed" not in message


def test_tools_list_names_the_corpus_and_its_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, fault = BAD_CORPORA["duplicate.jsonl"]
    corpus = tmp_path / "duplicate.jsonl"
    corpus.write_text(content, encoding="utf-8")
    config = tmp_path / "memento.json"
    config.write_text(json.dumps({"tools": {"enabled": ["corpus_search"], "corpus": str(corpus)}}))
    assert main(["tools", "list", "--config", str(config)]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("memento: error: MCP server 'corpus_search' failed to start")
    assert str(corpus) in error and fault in error


@pytest.mark.parametrize("phase", ["build", "cached"])
def test_the_index_holds_about_twice_the_corpus_file(tmp_path: Path, phase: str) -> None:
    warm_up = tmp_path / "tiny.jsonl"  # imports what opening needs: not the index's memory
    synthetic_corpus(warm_up, megabytes=0.01)
    CorpusIndex.open(warm_up, cache_dir=tmp_path / "cache")
    corpus = tmp_path / "corpus.jsonl"
    synthetic_corpus(corpus, megabytes=2)
    if phase == "cached":
        CorpusIndex.open(corpus, cache_dir=tmp_path / "cache")
    tracemalloc.start()
    try:
        index = CorpusIndex.open(corpus, cache_dir=tmp_path / "cache")
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = corpus.stat().st_size
    print(f"{phase}: held {held / size:.2f}x, peak {peak / size:.2f}x the file")
    assert index.search("alpha", 1) is not None
    assert held < 2.8 * size, f"{phase}: index holds {held / size:.1f} times the file"
    assert peak < 8 * size, f"{phase}: opening peaked at {peak / size:.1f} times the file"
