"""Okapi BM25 over tokenised passages, in numpy, saved as a plain `.npz` (no pickle).

The index is a term -> postings matrix in compressed sparse row form: for term row t, the
passages `doc_ids[indptr[t]:indptr[t+1]]` hold it `tfs[...]` times. Scoring a query touches only
the postings of its terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Bump when tokenisation or the stored layout changes: cached indexes then rebuild themselves.
INDEX_VERSION = "bm25-v1"

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


@dataclass
class BM25Index:
    """Postings of every term, passage lengths, and the BM25 parameters k1 and b."""

    vocabulary: dict[str, int]
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
        """Index tokenised documents; document i keeps id i."""
        counts = [Counter(tokens) for tokens in documents]
        terms = sorted({term for count in counts for term in count})
        vocabulary = {term: row for row, term in enumerate(terms)}
        rows, docs, tfs = [], [], []
        for doc, count in enumerate(counts):
            for term, tf in count.items():
                rows.append(vocabulary[term])
                docs.append(doc)
                tfs.append(tf)
        order = np.lexsort((np.asarray(docs), np.asarray(rows)))
        rows_sorted = np.asarray(rows, dtype=np.int64)[order]
        indptr = np.searchsorted(rows_sorted, np.arange(len(terms) + 1)).astype(np.int64)
        return cls(
            vocabulary=vocabulary,
            indptr=indptr,
            doc_ids=np.asarray(docs, dtype=np.int32)[order],
            tfs=np.asarray(tfs, dtype=np.float32)[order],
            doc_len=np.asarray([sum(c.values()) for c in counts], dtype=np.float32),
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
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with path.open("wb") as file:
            np.savez(
                file,
                terms=np.asarray(terms, dtype=str),
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
                terms = data["terms"].tolist()
                k1, b = data["params"].tolist()
                return cls(
                    vocabulary={term: row for row, term in enumerate(terms)},
                    indptr=data["indptr"],
                    doc_ids=data["doc_ids"],
                    tfs=data["tfs"],
                    doc_len=data["doc_len"],
                    k1=k1,
                    b=b,
                )
        except (OSError, KeyError, ValueError):
            return None
