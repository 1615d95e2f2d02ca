"""Reading a collection's scroll a point at a time under the bank's lock, handing each out
after the lock is let go: a scroll reads its pages lazily, and an engine (Qdrant's local mode)
may not read beside another thread's write, while the caller may take long over each point."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")


def under_lock(points: Iterator[T], lock: threading.RLock) -> Iterator[T]:
    while True:
        with lock:
            point = next(points, None)
        if point is None:
            return
        yield point
