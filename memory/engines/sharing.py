"""How processes on one machine share an embedded bank: who holds its folder, and where it is
served.

An embedded engine (Qdrant Edge, Qdrant's local mode) lets one process open a folder. With
sharing on (the default; `MEMENTO_SHARE_BANK=0` turns it off), the first process to open the
folder takes `serving.lock` (an exclusive `flock`, which the kernel drops when the process
dies, so a holder that crashed never blocks anyone), opens the engine and serves the bank's own
operations (`memory.engines.served`) on a loopback port it writes to `serving.json`. Any other
process finds the lock taken, reads the file and speaks to the holder (`memory.engines.remote`).

The file holds the port, the holder's pid and a random key; it is written atomically with mode
0600, so only the bank's owner can read the key, and a connection proves it holds the key (an
HMAC challenge both ways, `multiprocessing.connection`) before anything is unpickled.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from multiprocessing.connection import AuthenticationError, Client, Connection
from pathlib import Path

from memory.errors import BankInUseError

try:
    import fcntl
except ImportError:  # Windows: no flock, so no sharing (each folder keeps one process)
    fcntl = None  # type: ignore[assignment]

SHARE_ENV = "MEMENTO_SHARE_BANK"
SERVING_FILE = "serving.json"
LOCK_FILE = "serving.lock"
HOST = "127.0.0.1"

WAIT_S = 10.0
"""How long a process waits for a holder that has the lock but is not serving yet (it is
opening the engine: a few ms for a small bank, seconds for millions of cases)."""
POLL_S = 0.05


def sharing_enabled() -> bool:
    """Whether this process shares embedded banks with the others on this machine."""
    if fcntl is None:
        return False
    return os.environ.get(SHARE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Serving:
    """Where a bank's holder serves it: its port on 127.0.0.1, its pid and the key."""

    port: int
    pid: int
    key: bytes


class HolderLock:
    """The exclusive lock on a bank folder's `serving.lock`: who holds it serves the bank."""

    def __init__(self, folder: Path, fd: int) -> None:
        self.folder = folder
        self._fd: int | None = fd

    @classmethod
    def try_take(cls, folder: Path) -> HolderLock | None:
        """The lock if no process holds it now (this one included), else None."""
        assert fcntl is not None
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(folder, fd)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor drops the flock


def new_key() -> bytes:
    return secrets.token_bytes(32)


def announce(folder: Path, port: int, key: bytes) -> None:
    """Write `serving.json` (mode 0600) atomically: readers see the old file or the new one."""
    text = json.dumps({"port": port, "pid": os.getpid(), "key": key.hex()})
    temporary = folder / f".{SERVING_FILE}.{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(temporary, folder / SERVING_FILE)


def withdraw(folder: Path) -> None:
    """Remove `serving.json` if this process wrote it."""
    found = read_serving(folder)
    if found is not None and found.pid == os.getpid():
        (folder / SERVING_FILE).unlink(missing_ok=True)


def read_serving(folder: Path) -> Serving | None:
    """The holder's announcement, or None (absent, unreadable or half-formed)."""
    try:
        data = json.loads((folder / SERVING_FILE).read_text())
        return Serving(int(data["port"]), int(data["pid"]), bytes.fromhex(data["key"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def connect(serving: Serving) -> Connection:
    """An authenticated connection to the holder (raises OSError or AuthenticationError)."""
    return Client((HOST, serving.port), family="AF_INET", authkey=serving.key)


def claim_or_find(folder: Path, *, wait: float = WAIT_S) -> HolderLock | tuple[Connection, Serving]:
    """The folder's lock if no process holds it (this one is to hold the bank), else a
    connection to the process that does.

    A holder that is still opening the engine is waited for, up to `wait` seconds; one that
    exits meanwhile leaves the lock free, and this process takes it. Raises BankInUseError,
    naming the holder, when it holds the lock but cannot be reached in time.
    """
    deadline = time.monotonic() + wait
    seen: Serving | None = None
    problem = "it has not said where it serves the bank"
    while True:
        lock = HolderLock.try_take(folder)
        if lock is not None:
            return lock
        seen = read_serving(folder)
        if seen is not None and alive(seen.pid):
            try:
                return connect(seen), seen
            except AuthenticationError:
                problem = f"its key in {folder / SERVING_FILE} was refused"
            except (OSError, EOFError) as exc:
                problem = f"it does not answer on port {seen.port} ({exc})"
        if time.monotonic() >= deadline:
            holder = f"pid {seen.pid}" if seen is not None else "a process"
            raise BankInUseError(
                str(folder), f"{holder} holds it and should serve it, but {problem}"
            )
        time.sleep(POLL_S)
