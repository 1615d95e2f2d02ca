"""A stdio MCP server's error output: held back while the server starts, passed on once it runs.

A server that cannot start (its command fails to import its package, a wrong path, a missing
dependency) prints a traceback and exits; the MCP client then sees only "Connection closed".
Holding the output of the start lets the failure be told in one line that carries the server's
last error line, while a running server's logs still reach the terminal as they always did.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from typing import IO


class StderrTap:
    """A pipe to give a server process as its stderr (`file`), read by a thread of its own."""

    def __init__(self, held_lines: int = 200) -> None:
        read_fd, write_fd = os.pipe()
        self.file: IO[str] = os.fdopen(write_fd, "w")
        self._reader = os.fdopen(read_fd, encoding="utf-8", errors="replace")
        self._held: deque[str] = deque(maxlen=held_lines)
        self._sink: IO[str] | None = None
        self._lock = threading.Lock()
        self._pump = threading.Thread(target=self._run, name="mcp-stderr", daemon=True)
        self._pump.start()

    def _run(self) -> None:
        with self._reader:
            for line in self._reader:
                with self._lock:
                    if self._sink is None:
                        self._held.append(line)
                        continue
                    sink = self._sink
                _write(sink, line)

    def pass_on(self) -> None:
        """The server runs: what it wrote so far, and all it writes from now, go to stderr."""
        sink = _terminal()
        if sink is None:
            return
        with self._lock:
            held, self._held = list(self._held), deque()
            self._sink = sink
        _write(sink, "".join(held))

    def last_error_line(self, wait_s: float = 2.0) -> str:
        """The last non-blank line the (exited) server wrote; closes this end of the pipe
        and waits up to `wait_s` for the rest of its output. Blocks: run it in a thread."""
        self.close()
        self._pump.join(wait_s)
        with self._lock:
            lines = [line.strip() for line in self._held if line.strip()]
        return lines[-1] if lines else ""

    def close(self) -> None:
        """Close this process's write end (the server holds its own until it exits)."""
        if not self.file.closed:
            self.file.close()


def _terminal() -> IO[str] | None:
    """Where a server's log lines go: this process's stderr (the original one where the
    current stream has no descriptor, as in a Jupyter kernel), or nowhere."""
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None and stream.fileno() >= 0:
                return stream
        except (AttributeError, OSError, ValueError):
            continue
    return None


def _write(sink: IO[str], text: str) -> None:
    try:
        sink.write(text)
        sink.flush()
    except (OSError, ValueError):  # the terminal went away: the server's logs are dropped
        pass
