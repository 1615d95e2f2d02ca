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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.servers.bm25 import INDEX_VERSION, BM25Index, tokenize

TEXT_FIELDS = ("text", "contents", "content", "passage", "body")
ID_FIELDS = ("id", "_id", "docid", "doc_id")
SNIPPET_CHARS = 600


class CorpusError(ValueError):
    """The corpus file is missing or not in a format we read; the message names the file."""


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of the corpus."""

    id: str
    title: str
    text: str


@dataclass
class SearchHit:
    """A ranked passage; `text` is cut to a snippet and `truncated` says so."""

    id: str
    title: str
    score: float
    text: str
    truncated: bool


def _joined(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(part).strip() for part in value if str(part).strip())
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
    return Passage(
        id=str(item[id_field]) if id_field else str(position),
        title=str(item.get("title") or ""),
        text=_joined(item[text_field]),
    )


def _parse_jsonl(text: str, where: str) -> list[Any]:
    items = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{where}: line {lineno} is not valid JSON: {exc.msg}") from None
    return items


def parse_corpus(text: str, where: str, *, jsonl: bool = False) -> list[Passage]:
    """Passages from a corpus file's text; `where` names the file in errors."""
    if jsonl:
        data: Any = _parse_jsonl(text, where)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise CorpusError(
                    f"{where}: not valid JSON or JSONL: {exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno}"
                ) from None
            data = _parse_jsonl(text, where)
    if isinstance(data, dict) and all(isinstance(v, list | str) for v in data.values()):
        passages = [Passage(id=str(t), title=str(t), text=_joined(v)) for t, v in data.items()]
    elif isinstance(data, list):
        passages = [_passage(item, position, where) for position, item in enumerate(data)]
    else:
        raise CorpusError(
            f"{where}: unknown corpus format; expected JSONL passages, a JSON list of passages, "
            "or a {title: [sentences]} object"
        )
    _check_unique_ids(passages, where)
    return passages


def _check_unique_ids(passages: Iterable[Passage], where: str) -> None:
    seen: set[str] = set()
    for passage in passages:
        if passage.id in seen:
            raise CorpusError(f"{where}: passage id {passage.id!r} occurs more than once")
        seen.add(passage.id)


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

    def __init__(self, passages: list[Passage], index: BM25Index) -> None:
        self.passages = passages
        self.index = index
        self._by_id = {p.id: i for i, p in enumerate(passages)}
        self._by_title: dict[str, int] = {}
        for i, p in enumerate(passages):
            self._by_title.setdefault(p.title.casefold(), i)

    @classmethod
    def open(cls, path: str | Path, cache_dir: str | Path | None = None) -> CorpusIndex:
        """Read the corpus and reuse its cached index if built from the same bytes."""
        corpus = Path(path).expanduser()
        where = f"corpus {str(corpus)!r}"
        if not corpus.is_file():
            raise CorpusError(f"{where} does not exist or is not a file")
        try:
            raw = corpus.read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CorpusError(f"{where} cannot be read as UTF-8 text: {exc}") from exc
        passages = parse_corpus(text, where, jsonl=corpus.suffix.lower() == ".jsonl")
        fingerprint = f"{INDEX_VERSION}:{hashlib.sha256(raw).hexdigest()}"
        cache = index_cache_path(corpus, Path(cache_dir).expanduser() if cache_dir else None)
        index = BM25Index.load(cache, fingerprint)
        if index is None or index.size != len(passages):
            index = BM25Index.build(tokenize(f"{p.title} {p.text}") for p in passages)
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
        found = self._by_id.get(passage_id)
        if found is None:
            found = self._by_title.get(passage_id.casefold())
        if found is None:
            raise CorpusError(f"no passage has id {passage_id!r}; use an id returned by search")
        return self.passages[found]
