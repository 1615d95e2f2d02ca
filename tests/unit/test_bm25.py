"""BM25 scoring, the corpus formats we read, and the index cache."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from tools.servers.bm25 import BM25Index, tokenize
from tools.servers.corpus import CorpusError, CorpusIndex, index_cache_path, parse_corpus

PASSAGES = [
    {"id": "p1", "title": "Paris", "text": "Paris is the capital and largest city of France."},
    {"id": "p2", "title": "Lyon", "text": "Lyon is a city in France, known for its cuisine."},
    {"id": "p3", "title": "Berlin", "text": "Berlin is the capital of Germany."},
]


def write_jsonl(path: Path, passages: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in passages), encoding="utf-8")
    return path


def test_tokens_are_lowercase_words_without_stopwords_or_accents() -> None:
    assert tokenize("Who is the Mayor of São Paulo, in 2019?") == ["mayor", "sao", "paulo", "2019"]
    assert tokenize("e-mail: foo_bar") == ["e", "mail", "foo", "bar"]


def test_bm25_matches_the_formula_on_a_tiny_corpus() -> None:
    docs = [["apple", "banana"], ["apple", "apple", "cherry", "date"], ["cherry"]]
    index = BM25Index.build(docs, k1=1.2, b=0.75)
    avg = 7 / 3

    def term(tf: int, df: int, length: int) -> float:
        idf = math.log(1 + (3 - df + 0.5) / (df + 0.5))
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))

    expected = [term(1, 2, 2), term(2, 2, 4) + term(1, 2, 4), term(1, 2, 1)]
    np.testing.assert_allclose(index.scores(["apple", "cherry"]), expected, rtol=1e-6)
    assert index.scores(["unknown"]).tolist() == [0, 0, 0]


def test_top_k_ranks_best_first_and_leaves_out_non_matches() -> None:
    index = BM25Index.build([["a1"], ["b1", "b2"], ["b1"], ["c1"]])
    assert [doc for doc, _ in index.top_k(["b1", "b2"], 10)] == [1, 2]
    assert index.top_k(["zzz"], 5) == []


def test_an_index_round_trips_through_npz_and_refuses_another_fingerprint(tmp_path: Path) -> None:
    index = BM25Index.build([["x", "y"], ["y", "z"]])
    path = tmp_path / "index.npz"
    index.save(path, "fp-1")
    loaded = BM25Index.load(path, "fp-1")
    assert loaded is not None and list(loaded.vocabulary) == list(index.vocabulary)
    np.testing.assert_array_equal(loaded.scores(["y", "z"]), index.scores(["y", "z"]))
    assert BM25Index.load(path, "fp-2") is None
    assert BM25Index.load(tmp_path / "missing.npz", "fp-1") is None


def test_search_finds_the_right_passage_and_reads_it_whole(tmp_path: Path) -> None:
    corpus = CorpusIndex.open(write_jsonl(tmp_path / "c.jsonl", PASSAGES))
    hits = corpus.search("capital of Germany", k=2)
    assert hits[0].id == "p3" and hits[0].title == "Berlin" and hits[0].score > hits[1].score
    assert corpus.passage("p1").text == PASSAGES[0]["text"]
    assert corpus.passage("lyon").id == "p2"  # a title works too
    with pytest.raises(CorpusError, match="no passage has id 'p9'"):
        corpus.passage("p9")
    with pytest.raises(CorpusError, match="no searchable words"):
        corpus.search("what is the")


def test_long_passages_are_cut_in_search_results(tmp_path: Path) -> None:
    long = [{"title": "Long", "text": "word " * 500}]
    (hit,) = CorpusIndex.open(write_jsonl(tmp_path / "c.jsonl", long)).search("word")
    assert hit.truncated and hit.text.endswith(" …") and len(hit.text) < 700
    assert hit.id == "0"  # no id field: its position


def test_the_three_formats_are_read() -> None:
    mapping = {"Paris": [" Paris is a city.", " It is in France."], "Nice": "Nice is nice."}
    from_mapping = parse_corpus(json.dumps(mapping), "m")
    assert [(p.id, p.title, p.text) for p in from_mapping] == [
        ("Paris", "Paris", "Paris is a city. It is in France."),
        ("Nice", "Nice", "Nice is nice."),
    ]
    as_list = parse_corpus(json.dumps([{"docid": 7, "contents": "x"}, "plain text"]), "l")
    assert [(p.id, p.title, p.text) for p in as_list] == [("7", "", "x"), ("1", "", "plain text")]
    lines = "\n".join(json.dumps(p) for p in PASSAGES)  # JSONL even without the extension
    assert [p.id for p in parse_corpus(lines, "j")] == ["p1", "p2", "p3"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', "unknown corpus format"),
        ("42", "unknown corpus format"),
        ("[{'x': 1}]", "not valid JSON or JSONL"),
        ('[{"title": "no text"}]', "passage 0 has no text field"),
        ('[{"id": 1, "text": "a"}, {"id": 1, "text": "b"}]', "id '1' occurs more than once"),
        ('{"text": "a"}\n{broken', "line 2 is not valid JSON"),
    ],
)
def test_unreadable_corpora_say_why(text: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_corpus(text, "corpus 'x'")


def test_a_missing_corpus_is_named(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"corpus '.*nope.json' does not exist"):
        CorpusIndex.open(tmp_path / "nope.json")


def test_the_index_is_cached_beside_the_corpus_and_rebuilt_when_it_changes(
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", PASSAGES)
    CorpusIndex.open(path)
    cache = tmp_path / "c.jsonl.bm25.npz"
    assert index_cache_path(path) == cache and cache.is_file()
    built = cache.stat().st_mtime_ns
    CorpusIndex.open(path)
    assert cache.stat().st_mtime_ns == built  # reused, not rebuilt
    write_jsonl(path, [*PASSAGES, {"id": "p4", "title": "Rome", "text": "Rome is in Italy."}])
    assert CorpusIndex.open(path).search("Italy")[0].id == "p4"
    assert cache.stat().st_mtime_ns != built


def test_a_read_only_corpus_folder_caches_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = write_jsonl(data / "c.jsonl", PASSAGES)
    data.chmod(0o555)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        CorpusIndex.open(path)
        assert os.listdir(data) == ["c.jsonl"]  # nothing written into the read-only folder
        cached = list((tmp_path / "cache" / "memento" / "bm25").iterdir())
        assert [p.name.startswith("c-") and p.name.endswith(".bm25.npz") for p in cached] == [True]
    finally:
        data.chmod(0o755)


def test_terms_and_passages_are_found_exactly_in_the_compact_tables(tmp_path: Path) -> None:
    index = BM25Index.build([["zeta", "alpha"], ["alph", "alphabet", "ärger"]])
    assert list(index.vocabulary) == sorted(["zeta", "alpha", "alph", "alphabet", "ärger"])
    assert [index.vocabulary.get(t) for t in ["alph", "alpha", "alphabet", "zz", "", "a"]] == [
        0,
        1,
        2,
        None,
        None,
        None,
    ]
    passages = [
        {"id": "é1", "title": "Ça va", "text": "first"},
        {"id": "2", "title": "ça va", "text": "second, same title"},
        {"id": "", "title": "", "text": "an empty id is an id"},
    ]
    corpus = CorpusIndex.open(write_jsonl(tmp_path / "c.jsonl", passages))
    assert corpus.passage("é1").text == "first"
    assert corpus.passage("ÇA VA").id == "é1"  # the first passage with the title
    assert corpus.passage("").text == "an empty id is an id"
    assert [p.id for p in corpus.passages] == ["é1", "2", ""]
