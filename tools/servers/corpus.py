"""A local document corpus: its passages, their BM25 index, and the index's on-disk cache.

Accepted files (the format is read from the content, the extension only breaks ties):
- JSONL: one passage per line, ``{"id": ..., "title": ..., "text": ...}``;
- JSON: a list of such passages (or of plain strings);
- JSON: a ``{title: [sentences]}`` or ``{title: text}`` mapping (HotpotQA's `corpus.json`).
`text` may also be called `contents`, `content`, `passage` or `body`, and may be a list of
sentences; `id` may be `_id`, `docid` or `doc_id`. A passage without an id gets its title in the
mapping format, else its 0-based position in the file.

The index is cached as `CORPUS.bm25.npz` beside the corpus when that folder is writable (by
its permission bits: a read-only data folder is respected even by root), else under
``$XDG_CACHE_HOME/memento/bm25/`` (default ``~/.cache``), or in `cache_dir` when given. The cache
holds the SHA-256 of the corpus file, so an edited corpus rebuilds its index.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.servers.bm25 import INDEX_VERSION, BM25Index, tokenize
from tools.servers.passage_store import Passage, PassageStore

__all__ = ["CorpusError", "CorpusIndex", "Passage", "SearchHit", "parse_corpus"]

TEXT_FIELDS = ("text", "contents", "content", "passage", "body")
ID_FIELDS = ("id", "_id", "docid", "doc_id")
SNIPPET_CHARS = 600


class CorpusError(ValueError):
    """The corpus file is missing or not in a format we read; the message names the file."""


@dataclass
class SearchHit:
    """A ranked passage; `text` is cut to a snippet and `truncated` says so."""

    id: str
    title: str
    score: float
    text: str
    truncated: bool


_SCALARS = (str, int, float)


def _joined(value: Any, what: str) -> str:
    """A text given as a string or a list of sentences; CorpusError (naming `what`) otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return " ".join(part.strip() for part in value if part.strip())
    raise CorpusError(f"{what} is a {type(value).__name__}, not text or a list of sentences")


def _scalar(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        raise CorpusError(f"{what} is a {type(value).__name__}, not a string or a number")
    return str(value)


def _passage(item: Any, position: int, where: str) -> Passage:
    if isinstance(item, str):
        return Passage(id=str(position), title="", text=item)
    if not isinstance(item, dict):
        raise CorpusError(f"{where}: passage {position} is a {type(item).__name__}, not an object")
    text_field = next((f for f in TEXT_FIELDS if f in item), None)
    if text_field is None:
        raise CorpusError(
            f"{where}: passage {position} has no text field (one of {', '.join(TEXT_FIELDS)})"
        )
    id_field = next((f for f in ID_FIELDS if item.get(f) is not None), None)
    what = f"{where}: passage {position}'s"
    return Passage(
        id=_scalar(item[id_field], f"{what} {id_field!r}") if id_field else str(position),
        title=_scalar(item.get("title") or "", f"{what} 'title'"),
        text=_joined(item[text_field], f"{what} {text_field!r}"),
    )


def _jsonl_items(lines: Iterable[str | bytes], where: str) -> Iterator[Any]:
    for lineno, line in enumerate(lines, 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{where}: line {lineno} is not valid JSON: {exc.msg}") from None
            except UnicodeDecodeError as exc:
                raise CorpusError(f"{where}: line {lineno} is not UTF-8 text: {exc}") from None


def _passages_of(data: Any, where: str) -> Iterator[Passage]:
    """Passages from a parsed JSON document or from the items of a JSONL file."""
    if isinstance(data, dict) and all(isinstance(v, list | str) for v in data.values()):
        for title, value in data.items():
            yield Passage(id=title, title=title, text=_joined(value, f"{where}: {title!r}"))
    elif isinstance(data, list | Iterator):
        for position, item in enumerate(data):
            yield _passage(item, position, where)
    else:
        raise CorpusError(
            f"{where}: unknown corpus format; expected JSONL passages, a JSON list of passages, "
            "or a {title: [sentences]} object"
        )


def _parsed(text: str, where: str) -> Any:
    """The whole text as one JSON document, or its items when it is JSONL after all."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise CorpusError(
                f"{where}: not valid JSON or JSONL: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}"
            ) from None
        return _jsonl_items(text.splitlines(), where)
    except RecursionError:
        raise CorpusError(f"{where}: the JSON is nested too deeply to read") from None


def parse_corpus(text: str, where: str, *, jsonl: bool = False) -> list[Passage]:
    """Passages from a corpus file's text; `where` names the file in errors."""
    data = _jsonl_items(text.splitlines(), where) if jsonl else _parsed(text, where)
    store = _stored(_passages_of(data, where), where)
    return list(store)


def _stored(passages: Iterable[Passage], where: str) -> PassageStore:
    """The passages in a compact store; CorpusError when two share an id."""
    store = PassageStore()
    for passage in passages:
        store.append(passage)
    duplicate = store.seal()
    if duplicate is not None:
        raise CorpusError(f"{where}: passage id {duplicate!r} occurs more than once")
    return store


def _read(corpus: Path, where: str) -> tuple[PassageStore, str]:
    """The corpus's passages and the SHA-256 of its bytes. A `.jsonl` file is read a line at a
    time, so the whole file is never in memory twice (bytes and text) beside its passages."""
    digest = hashlib.sha256()
    try:
        if corpus.suffix.lower() == ".jsonl":
            with corpus.open("rb") as file:
                lines = (digest.update(line) or line for line in file)
                first = next(lines, b"")
                if first.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
                    first = first[3:]
                items = _jsonl_items(_chained(first, lines), where)
                return _stored(_passages_of(items, where), where), digest.hexdigest()
        raw = corpus.read_bytes()
        digest.update(raw)
        text = raw.decode("utf-8-sig")
        del raw
    except OSError as exc:
        raise CorpusError(f"{where} cannot be read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{where} cannot be read as UTF-8 text: {exc}") from exc
    data = _parsed(text, where)
    del text  # the parsed passages are all that is needed now
    return _stored(_passages_of(data, where), where), digest.hexdigest()


def _chained(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _writable_dir(folder: Path) -> bool:
    """Writable by its permission bits too: root may write anywhere, but should not here."""
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)
    except OSError:
        return False


def index_cache_path(corpus: Path, cache_dir: Path | None = None) -> Path:
    """Where the index of `corpus` is cached (see the module docstring for the order)."""
    corpus = corpus.resolve()
    if cache_dir is None and _writable_dir(corpus.parent):
        return corpus.with_name(corpus.name + ".bm25.npz")
    if cache_dir is None:
        cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        cache_dir = Path(cache_home) / "memento" / "bm25"
    key = hashlib.sha256(str(corpus).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{corpus.stem}-{key}.bm25.npz"


def _save_atomically(index: BM25Index, path: Path, fingerprint: str) -> None:
    """Write the cache beside its final name and rename it: readers never see half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.close(handle)
    except OSError as exc:
        print(f"corpus_search: index not cached at {path}: {exc}", file=sys.stderr)
        return
    try:
        index.save(Path(name), fingerprint)
        os.chmod(name, 0o644)  # mkstemp makes it private; a cache beside a corpus is shared
        os.replace(name, path)
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        print(f"corpus_search: index not cached at {path}: {exc}", file=sys.stderr)


class CorpusIndex:
    """The passages of one corpus file and their BM25 index, loaded once."""

    def __init__(self, passages: PassageStore, index: BM25Index) -> None:
        self.passages = passages
        self.index = index

    @classmethod
    def open(cls, path: str | Path, cache_dir: str | Path | None = None) -> CorpusIndex:
        """Read the corpus and reuse its cached index if built from the same bytes."""
        corpus = Path(path).expanduser()
        where = f"corpus {str(corpus)!r}"
        if not corpus.is_file():
            raise CorpusError(f"{where} does not exist or is not a file")
        passages, sha256 = _read(corpus, where)
        fingerprint = f"{INDEX_VERSION}:{sha256}"
        cache = index_cache_path(corpus, Path(cache_dir).expanduser() if cache_dir else None)
        index = BM25Index.load(cache, fingerprint)
        if index is None or index.size != len(passages):
            documents = (tokenize(passages.text_for_index(i)) for i in range(len(passages)))
            index = BM25Index.build(documents)
            _save_atomically(index, cache, fingerprint)
        return cls(passages, index)

    def search(self, query: str, k: int = 5, snippet_chars: int = SNIPPET_CHARS) -> list[SearchHit]:
        """The k passages that best match the query, best first."""
        tokens = tokenize(query)
        if not tokens:
            raise CorpusError(f"the query {query!r} has no searchable words")
        hits = []
        for doc, score in self.index.top_k(tokens, k):
            passage = self.passages[doc]
            cut = len(passage.text) > snippet_chars
            text = passage.text[:snippet_chars].rstrip() + " …" if cut else passage.text
            hits.append(SearchHit(passage.id, passage.title, round(score, 3), text, cut))
        return hits

    def passage(self, passage_id: str) -> Passage:
        """The whole passage with this id (or, failing that, this exact title)."""
        found = self.passages.find(passage_id)
        if found is None:
            raise CorpusError(f"no passage has id {passage_id!r}; use an id returned by search")
        return found
