"""Worker processes that answer one JSON request at a time each, killed when one runs too long.

A thread cannot be stopped, and one long computation in C (a huge power) never gives up the
GIL, so a server that computes in its own process can be stalled by a single call. A
`WorkerPool` hands each call to an idle worker process (starting one when none is idle, up to
`size` at once; more calls wait for a free one), and kills the worker whose call outlives
`timeout_s`; the next call gets a fresh one. So one slow call costs at most `timeout_s` of one
worker and never blocks the calls beside it.

The protocol is one JSON object per line each way, on the worker's stdin and stdout.
"""

from __future__ import annotations

import json
import selectors
import subprocess
import threading
import time
from collections.abc import Sequence
from typing import Any


class WorkerTimeout(TimeoutError):
    """A worker did not answer within the time limit; it was killed."""


class WorkerFailed(RuntimeError):
    """A worker exited or wrote something that is not a JSON line."""


class _Worker:
    def __init__(self, command: Sequence[str], cwd: str | None) -> None:
        self.proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )

    def ask(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise WorkerFailed(f"the worker is gone ({exc})") from exc
        line = self._read_line(timeout_s)
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            raise WorkerFailed(f"the worker answered {line[:200]!r}") from exc

    def _read_line(self, timeout_s: float) -> str:
        """One line of the worker's stdout, waiting at most `timeout_s` for it."""
        stdout = self.proc.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout_s
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while not selector.select(max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    raise WorkerTimeout(f"no answer within {timeout_s:g} s")
        # The worker writes whole lines, flushed, so a readable pipe holds a whole line.
        line = stdout.readline()
        if not line:
            raise WorkerFailed(f"the worker exited with code {self.proc.wait()}")
        return line

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class WorkerPool:
    """Up to `size` worker processes running `command`; `ask` is safe to call from threads."""

    def __init__(
        self, command: Sequence[str], timeout_s: float, size: int = 4, cwd: str | None = None
    ) -> None:
        self.command, self.timeout_s, self.cwd = list(command), timeout_s, cwd
        self._idle: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """The worker's answer to `request`; WorkerTimeout or WorkerFailed if there is none."""
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None or worker.proc.poll() is not None:
                try:
                    worker = _Worker(self.command, self.cwd)
                except OSError as exc:
                    raise WorkerFailed(f"cannot start a worker ({exc})") from exc
            try:
                answer = worker.ask(request, self.timeout_s)
            except BaseException:
                worker.kill()
                raise
            with self._lock:
                self._idle.append(worker)
            return answer

    def close(self) -> None:
        """Stop the idle workers (a busy one is killed by the call that holds it)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
