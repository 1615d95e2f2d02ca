"""Text from tasks, models and tools, made safe to print on a terminal.

A task or a model's answer can hold ANSI escape sequences or other control characters, which a
terminal would act on (move the cursor, rewrite lines, set the window title) instead of
showing; they are printed as visible escapes instead.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """The text with control characters (ESC, bells, C1 codes) shown as escapes; newlines and
    tabs are kept."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def one_line(text: str, limit: int = 70) -> str:
    """A text on one line (whitespace runs as one space), printable, cut to `limit`."""
    return printable(" ".join(text.split()))[:limit]


def counted(count: int, noun: str) -> str:
    """'1 case', '2 cases'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
