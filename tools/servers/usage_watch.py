"""The sandbox's fallback for totals where the kernel cannot cap them: a sampling watchdog.

Where no cgroup can be made (`cgroups.py`), the memory of all a call's processes is summed from
/proc four times a second; where no private tmpfs can be mounted (`private_tmpfs.py`), so is
the size of its working folder. Past a total, the process group is killed. This is a bound
only up to what a snippet can allocate or write between two samples, and it sees only the
processes that stay in the call's process group: the tool description says so.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

INTERVAL_S = 0.25
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def group_rss(pgid: int) -> int:
    """Resident bytes of every process in process group `pgid` (Linux /proc; 0 elsewhere)."""
    total = 0
    with contextlib.suppress(OSError):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = Path("/proc", pid, "stat").read_text()
            except OSError:
                continue  # ended while we looked
            fields = stat.rpartition(")")[
                2
            ].split()  # after "(command name)", which may hold spaces
            if int(fields[2]) == pgid:  # field 5 of stat: the process group
                total += int(fields[21]) * _PAGE  # field 24: resident pages
    return total


def folder_bytes(folder: Path) -> int:
    """Bytes allocated to the files beneath `folder` (sparse files count what they hold)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


class UsageWatch(threading.Thread):
    """Samples the totals it is given until `stop()`; calls `kill` once one is exceeded and
    keeps in `limit_hit` which ("memory" or "disk")."""

    def __init__(
        self,
        kill: Callable[[], None],
        pgid: int,
        memory_bytes: int | None,
        folder: Path | None,
        disk_bytes: int | None,
    ) -> None:
        super().__init__(daemon=True)
        self._kill, self._pgid, self._folder = kill, pgid, folder
        self._memory, self._disk = memory_bytes, disk_bytes
        self._stopped = threading.Event()
        self.limit_hit: str | None = None

    def run(self) -> None:
        while not self._stopped.wait(INTERVAL_S):
            if self._memory is not None and group_rss(self._pgid) > self._memory:
                self.limit_hit = "memory"
            elif (
                self._disk is not None
                and self._folder is not None
                and folder_bytes(self._folder) > self._disk
            ):
                self.limit_hit = "disk"
            if self.limit_hit:
                self._kill()
                return

    def stop(self) -> None:
        self._stopped.set()
        self.join()
