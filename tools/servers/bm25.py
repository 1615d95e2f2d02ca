"""Okapi BM25 over tokenised passages, in numpy, saved as a plain `.npz` (no pickle).

The index is a term -> postings matrix in compressed sparse row form: for term row t, the
passages `doc_ids[indptr[t]:indptr[t+1]]` hold it `tfs[...]` times. Scoring a query touches only
the postings of its terms. The terms themselves are one sorted UTF-8 buffer (`TermTable`), so
the whole index is a handful of flat arrays, in memory as on disk.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Bump when tokenisation or the stored layout changes: cached indexes then rebuild themselves.
INDEX_VERSION = "bm25-v2"

_STOPWORD_LIST = """
a an the of in on at to for from by with as and or nor but not no is are was were be been being
am do does did has have had having it its this that these those which who whom whose what when
where why how there here than then so such into onto about over under also can could would
should will shall may might must i you he she we they me him her us them my your his our their
"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())

_TOKEN = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens with accents folded (``Alû`` -> ``alu``) and stopwords dropped."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [token for token in _TOKEN.findall(folded) if token not in STOPWORDS]


class TermTable:
    """The index's terms, sorted, in one UTF-8 buffer with offsets: a term costs its bytes and
    8 more (a dict from str to row costs ~150 bytes a term). Looked up by binary search."""

    def __init__(self, blob: bytes, ends: np.ndarray) -> None:
        self._blob, self._ends = blob, ends

    @classmethod
    def from_sorted(cls, terms: Iterable[bytes]) -> TermTable:
        """The table of these UTF-8 terms, given in sorted order."""
        blob, ends = bytearray(), array("q")
        for term in terms:
            blob += term
            ends.append(len(blob))
        return cls(bytes(blob), np.frombuffer(ends, dtype=np.int64).copy())

    def _bytes(self, row: int) -> bytes:
        start = int(self._ends[row - 1]) if row else 0
        return self._blob[start : int(self._ends[row])]

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self) -> Iterator[str]:
        return (self._bytes(row).decode() for row in range(len(self)))

    def get(self, term: str) -> int | None:
        """The row of `term`, or None when no passage holds it."""
        wanted = term.encode()
        row = bisect.bisect_left(range(len(self)), wanted, key=self._bytes)
        return row if row < len(self) and self._bytes(row) == wanted else None

    def arrays(self) -> dict[str, np.ndarray]:
        return {"terms_blob": np.frombuffer(self._blob, dtype=np.uint8), "terms_ends": self._ends}


@dataclass
class BM25Index:
    """Postings of every term, passage lengths, and the BM25 parameters k1 and b."""

    vocabulary: TermTable
    indptr: np.ndarray
    doc_ids: np.ndarray
    tfs: np.ndarray
    doc_len: np.ndarray
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(
        cls, documents: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75
    ) -> BM25Index:
        """Index tokenised documents; document i keeps id i.

        Streams: one document's term counts at a time, postings in compact typed arrays (12
        bytes each), not a Counter per document and lists of Python ints.
        """
        ids: dict[str, int] = {}
        rows, docs, tfs, doc_len = array("i"), array("i"), array("I"), array("f")
        for doc, tokens in enumerate(documents):
            count = Counter(ids.setdefault(token, len(ids)) for token in tokens)
            rows.extend(count.keys())
            tfs.extend(count.values())
            docs.extend([doc] * len(count))
            doc_len.append(len(tokens))
        terms = [term.encode() for term in ids]  # UTF-8 sorts as the code points do
        del ids
        alphabetical = sorted(range(len(terms)), key=terms.__getitem__)
        rank = np.empty(len(terms), dtype=np.int32)
        rank[alphabetical] = np.arange(len(terms), dtype=np.int32)
        term_rows = rank[np.frombuffer(rows, dtype=np.int32)]
        del rows
        order = np.argsort(term_rows, kind="stable")  # documents stay ascending within a term
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_rows, minlength=len(terms)), out=indptr[1:])
        return cls(
            vocabulary=TermTable.from_sorted(terms[i] for i in alphabetical),
            indptr=indptr,
            doc_ids=np.frombuffer(docs, dtype=np.int32)[order],
            tfs=np.frombuffer(tfs, dtype=np.uint32)[order].astype(np.float32),
            doc_len=np.frombuffer(doc_len, dtype=np.float32).copy(),
            k1=k1,
            b=b,
        )

    @property
    def size(self) -> int:
        return len(self.doc_len)

    def scores(self, query_tokens: Iterable[str]) -> np.ndarray:
        """BM25 score of every document for the query (each distinct term counted once)."""
        n = self.size
        scores = np.zeros(n, dtype=np.float64)
        if n == 0:
            return scores
        avg = float(self.doc_len.mean()) or 1.0
        for term in dict.fromkeys(query_tokens):
            row = self.vocabulary.get(term)
            if row is None:
                continue
            lo, hi = self.indptr[row], self.indptr[row + 1]
            docs, tf = self.doc_ids[lo:hi], self.tfs[lo:hi]
            idf = np.log1p((n - (hi - lo) + 0.5) / ((hi - lo) + 0.5))
            norm = self.k1 * (1 - self.b + self.b * self.doc_len[docs] / avg)
            scores[docs] += idf * tf * (self.k1 + 1) / (tf + norm)
        return scores

    def top_k(self, query_tokens: Iterable[str], k: int) -> list[tuple[int, float]]:
        """The k best (document, score) pairs with a positive score, best first."""
        scores = self.scores(query_tokens)
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((best, -scores[best]))]  # score, then document order on ties
        return [(int(doc), float(scores[doc])) for doc in best]

    def save(self, path: Path, fingerprint: str) -> None:
        """Write the index and the fingerprint of what it was built from."""
        with path.open("wb") as file:
            np.savez(
                file,
                **self.vocabulary.arrays(),
                indptr=self.indptr,
                doc_ids=self.doc_ids,
                tfs=self.tfs,
                doc_len=self.doc_len,
                params=np.asarray([self.k1, self.b]),
                fingerprint=np.asarray(fingerprint),
            )

    @classmethod
    def load(cls, path: Path, fingerprint: str) -> BM25Index | None:
        """The saved index, or None when it is missing, unreadable or built from other data."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["fingerprint"]) != fingerprint:
                    return None
                k1, b = data["params"].tolist()
                return cls(
                    vocabulary=TermTable(data["terms_blob"].tobytes(), data["terms_ends"]),
                    indptr=data["indptr"],
                    doc_ids=data["doc_ids"],
                    tfs=data["tfs"],
                    doc_len=data["doc_len"],
                    k1=k1,
                    b=b,
                )
        except (OSError, KeyError, ValueError):
            return None
