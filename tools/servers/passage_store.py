"""A corpus's passages held compactly: one UTF-8 buffer and one offsets array per field.

A Python object per passage (a dataclass and three strings) costs ~300 bytes beyond the text,
and a dict from ids to positions ~100 more; for a corpus of short passages that is several
times the file. Here a passage costs its UTF-8 bytes, 8 bytes of offset per field, and 16
bytes per lookup key (a sorted array of string hashes, each hit checked against the stored
string). Passages are decoded when they are read.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of the corpus."""

    id: str
    title: str
    text: str


class _Column:
    """Strings appended one by one into one buffer; read back by position."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("q")

    def append(self, value: str) -> None:
        self._data += value.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, position: int) -> str:
        start = self._ends[position - 1] if position else 0
        return self._data[start : self._ends[position]].decode("utf-8", "surrogatepass")


class _KeyIndex:
    """Positions of a column's values by key: sorted 64-bit hashes, equal hashes kept in order."""

    def __init__(self, column: _Column, key: Callable[[str], str]) -> None:
        self._column, self._key = column, key
        hashes = np.fromiter(
            (hash(key(column[i])) for i in range(len(column))), dtype=np.int64, count=len(column)
        )
        self._order = np.argsort(hashes, kind="stable")  # first occurrence first among equals
        self._hashes = hashes[self._order]

    def _candidates(self, hashed: int) -> np.ndarray:
        lo = np.searchsorted(self._hashes, hashed, side="left")
        hi = np.searchsorted(self._hashes, hashed, side="right")
        return self._order[lo:hi]

    def find(self, key: str) -> int | None:
        """The first position whose value has this key, or None."""
        for position in self._candidates(hash(key)):
            if self._key(self._column[int(position)]) == key:
                return int(position)
        return None

    def first_duplicate(self) -> str | None:
        """A key that two positions share, or None when every key is unique."""
        same = np.flatnonzero(self._hashes[1:] == self._hashes[:-1])
        for hashed in np.unique(self._hashes[same]).tolist():  # rare: compare the values
            keys = [self._key(self._column[int(p)]) for p in self._candidates(hashed)]
            seen: set[str] = set()
            for key in keys:
                if key in seen:
                    return key
                seen.add(key)
        return None


class PassageStore:
    """Passages appended in order, then `seal`ed for lookups by id or by title."""

    def __init__(self) -> None:
        self._ids, self._titles, self._texts = _Column(), _Column(), _Column()
        self._by_id: _KeyIndex | None = None
        self._by_title: _KeyIndex | None = None

    def append(self, passage: Passage) -> None:
        self._ids.append(passage.id)
        self._titles.append(passage.title)
        self._texts.append(passage.text)

    def seal(self) -> str | None:
        """Build the lookups; returns an id that occurs more than once (None when all differ)."""
        self._by_id = _KeyIndex(self._ids, str)
        self._by_title = _KeyIndex(self._titles, str.casefold)
        return self._by_id.first_duplicate()

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, position: int) -> Passage:
        return Passage(self._ids[position], self._titles[position], self._texts[position])

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))

    def text_for_index(self, position: int) -> str:
        """What the index sees of a passage: its title and its text."""
        return f"{self._titles[position]} {self._texts[position]}"

    def find(self, key: str) -> Passage | None:
        """The passage with this id or, failing that, the first with this title (any case)."""
        if self._by_id is None or self._by_title is None:
            raise RuntimeError("PassageStore.find before seal()")
        found = self._by_id.find(key)
        if found is None:
            found = self._by_title.find(key.casefold())
        return None if found is None else self[found]
