"""A second embedder for the worlds: hashed word and character n-grams, normalised.

Nothing to download and fully deterministic, and its geometry is not MiniLM's: two texts are
close when they share words and spellings, not meaning (a paraphrase that shares few words is
far, a template's boilerplate pulls unrelated tasks together). For the benchmarks and tests
only; the product's embedders are in `memory.embeddings`.
"""

from __future__ import annotations

import hashlib
import itertools
import re

import numpy as np
from langchain_core.embeddings import Embeddings

WORD = re.compile(r"[a-z0-9]+")


class LexicalEmbedder(Embeddings):
    """Signed feature hashing of words, word pairs and character 3-grams into `dim` buckets,
    each count damped by log(1 + n), then scaled to unit length (a cosine is a dot product)."""

    def __init__(self, dim: int = 512) -> None:
        if dim < 8:
            raise ValueError(f"dim must be at least 8, got {dim}")
        self.dim = dim

    def features(self, text: str) -> list[str]:
        """The n-grams a text is made of: words, adjacent word pairs, character 3-grams."""
        words = WORD.findall(text.lower())
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
        grams = [f"#{w}#"[i : i + 3] for w in words for i in range(len(w))]
        return [*(f"w:{w}" for w in words), *(f"p:{p}" for p in pairs), *(f"c:{g}" for g in grams)]

    def embed_query(self, text: str) -> list[float]:
        vector = np.zeros(self.dim)
        for feature in self.features(text):
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        vector = np.sign(vector) * np.log1p(np.abs(vector))
        norm = np.linalg.norm(vector)
        if norm == 0:
            vector[0], norm = 1.0, 1.0
        return (vector / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]
