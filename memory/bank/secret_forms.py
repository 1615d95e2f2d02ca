"""The forms a secret takes in text, found by a few patterns per secret (`memory.bank.redaction`).

Software that carries a key through text changes its spelling without changing what it is;
these patterns match the key:

- as written, URL-encoded (any of its characters as `%XX`, in either case: `quote`'s output
  and every byte encoded alike) and JSON-escaped, in any mix of the three;
- in base64, standard or URL-safe, alone or inside the base64 of a longer text, at any offset:
  a key that starts at byte offset 0, 1 or 2 of a 3-byte group is always spelled by the same
  characters once the two partial characters at its edges are dropped, so those three spellings
  find it wherever it sits;
- in hex (its UTF-8 bytes, in lower or upper case);
- masked in the middle as endpoints print a key: its first 3 or more characters, a run of
  mask characters (three or more of `* • . x …`, or a single `…`), its last 4 or more;
- in any letter case, as written or encoded as above, and masked (base64 is matched exactly:
  its letter case is its content).

What is not matched, on purpose: a fragment (the first or last characters alone identify a
key without giving it away), and transforms a model or a tool may apply at will (reversed,
spaced out, split across lines, re-encoded twice, translated to words): they cannot all be
enumerated, and a list that names some would promise what it cannot keep.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import lru_cache

MASK = r"(?:[*•.…x]{3,}|…)"
"""A masked middle: three or more mask characters, or one ellipsis character."""
_SHOWN = r"[^\s*•.…]"
"""A character a mask may show around its middle."""


@dataclass(frozen=True)
class SecretForms:
    """Every form of one secret, each family of forms searched only where a quick test on the
    text (a substring search, ~100 times cheaper than the patterns) says it may be."""

    lowered: str
    escaped: re.Pattern[str]
    """Finds, in lower-cased text, a character of the secret `%XX`-encoded or JSON-escaped
    (or a `+` where it has a space): a written form other than the plain one holds one."""
    spellings: tuple[str, ...]
    """Base64 and hex spellings, exact."""
    edges: tuple[str, str]
    """The first 3 and last 4 characters, in lower case: a masked key shows both."""
    written: re.Pattern[str]
    encoded: re.Pattern[str]
    masked: re.Pattern[str]

    def sub(self, marker: str, text: str) -> str:
        """The text with every form of the secret replaced by `marker`."""
        lowered = text.lower()
        if self.lowered in lowered or self.escaped.search(lowered):
            text = self.written.sub(marker, text)
        if any(spelling in text for spelling in self.spellings):
            text = self.encoded.sub(marker, text)
        if self.edges[0] in lowered and self.edges[1] in lowered:
            text = self.masked.sub(marker, text)
        return text


@lru_cache(maxsize=64)
def secret_forms(value: str) -> SecretForms:
    """The forms of `value` named in the module docstring."""
    data = value.encode()
    spellings = {*_base64_spellings(data), data.hex(), data.hex().upper()}
    longest_first = sorted(spellings, key=len, reverse=True)
    return SecretForms(
        lowered=value.lower(),
        escaped=_escaped(value),
        spellings=tuple(longest_first),
        edges=(value[:3].lower(), value[-4:].lower()),
        written=re.compile(_written(value), re.IGNORECASE),
        encoded=re.compile("|".join(map(re.escape, longest_first))),
        masked=re.compile(_masked(value), re.IGNORECASE),
    )


def _written(value: str) -> str:
    """Each character as itself, `%XX`-encoded or JSON-escaped."""
    return "".join(
        "(?:" + "|".join(map(re.escape, sorted(_spelled(char), key=len))) + ")" for char in value
    )


def _escaped(value: str) -> re.Pattern[str]:
    """What only an escaped spelling of one of `value`'s characters contains, lower-cased."""
    spelled = {form.lower() for char in set(value) for form in _spelled(char) if form != char}
    return re.compile("|".join(map(re.escape, sorted(spelled, key=len, reverse=True))))


def _spelled(char: str) -> set[str]:
    """A character as written, `%XX`-encoded (upper case; the patterns ignore case) and
    JSON-escaped (with or without `ensure_ascii`; `\\/` for a slash), `+` for a space."""
    spellings = {
        char,
        "".join(f"%{byte:02X}" for byte in char.encode()),
        json.dumps(char)[1:-1],
        json.dumps(char, ensure_ascii=False)[1:-1],
    }
    if char == "/":
        spellings.add("\\/")
    if char == " ":
        spellings.add("+")
    return spellings


def _base64_spellings(data: bytes) -> set[str]:
    """The base64 characters (both alphabets) that spell `data` at offsets 0, 1 and 2 of a
    3-byte group, without the partial characters its neighbours share."""
    found = set()
    for offset in range(3):
        first = -(-8 * offset // 6)  # the first character made only of the data's bits
        end = 8 * (offset + len(data)) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.add(encode(b"\0" * offset + data).decode()[first:end])
    return found


def _masked(value: str) -> str:
    """The key's first 3 and last 4 characters around a mask, with up to as many characters
    between them as the key has (a mask may show 10 leading characters, or 6 trailing)."""
    shown = max(len(value) - 7, 0)
    return (
        re.escape(value[:3])
        + f"{_SHOWN}{{0,{shown}}}?"
        + MASK
        + f"{_SHOWN}{{0,{shown}}}?"
        + re.escape(value[-4:])
    )
