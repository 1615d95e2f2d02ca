"""One cgroup per sandbox call: a hard cap on the memory and the processes of all it starts.

RLIMIT_AS and RLIMIT_NPROC are per process (and RLIMIT_NPROC is not enforced for root), so four
processes of one snippet could hold four times the memory limit. A `CallCgroup` caps the sum:
the snippet's first process joins it before anything else runs, and every process it starts is
born inside. It is created with

- cgroup v2 (the unified hierarchy): ``memory.max``, ``memory.swap.max`` = 0, ``pids.max``,
  under the server's cgroup or beside it (see `_v2_parent`), wherever memory and pids are
  offered and the folder is writable;
- cgroup v1: ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes`` where swap is
  accounted) in the memory hierarchy, ``pids.max`` in the pids hierarchy.

`CallCgroup.available()` says which, or None where neither can be written (no cgroupfs, not
delegated, a read-only mount): the sandbox then falls back to per-process limits and an
approximate watch (`usage_watch.py`) and says so in its tool description. After the call,
`kill()` ends every process left in the cgroup, including those that left the process group.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

_PREFIX = "memento-python-"
_counter = itertools.count()


def _own_cgroups() -> dict[str, str]:
    """Controller (or "" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    found = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                found[controller] = path
    return found


def _mounts() -> dict[str, tuple[str, str]]:
    """Controller (or "" for v2) -> (mount point, root of the mount within the hierarchy)."""
    found: dict[str, tuple[str, str]] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            before, _, after = line.partition(" - ")
            parts, (fstype, _source, options) = before.split(), after.split()[:3]
            root, point = parts[3], parts[4]
            if fstype == "cgroup2":
                found.setdefault("", (point, root))
            elif fstype == "cgroup":
                for option in options.split(","):
                    found.setdefault(option, (point, root))
    return found


def _folder(controller: str) -> Path | None:
    """The server's own cgroup folder in the hierarchy of `controller`, when mounted."""
    mount, own = _mounts().get(controller), _own_cgroups().get(controller)
    if mount is None or own is None:
        return None
    point, root = mount
    relative = os.path.relpath(own, root) if own.startswith(root) else None
    if relative is None or relative.startswith(".."):
        return None
    return Path(point, relative).resolve()


def _write(path: Path, value: str) -> None:
    with open(path, "w") as file:
        file.write(value)


def _offers(folder: Path, controllers: set[str]) -> bool:
    """Whether `folder`'s children get these controllers (its cgroup.subtree_control)."""
    try:
        return controllers <= set((folder / "cgroup.subtree_control").read_text().split())
    except OSError:
        return False


def _v2_parent() -> Path | None:
    """A v2 cgroup under which a call's cgroup gets memory and pids, or None.

    In order: the server's own cgroup when it already offers both to children; else its
    parent when that offers both and is writable (a sibling of the server's cgroup: e.g. root
    under a systemd service); else the server's own after enabling them, which the kernel
    allows only where the cgroup holds no process ("no internal processes"), e.g. the root.
    """
    own = _folder("")
    if own is None:
        return None
    wanted = {"memory", "pids"}
    for candidate in (own, own.parent):
        if _offers(candidate, wanted) and os.access(candidate, os.W_OK):
            return candidate
    try:
        if wanted <= set((own / "cgroup.controllers").read_text().split()):
            _write(own / "cgroup.subtree_control", "+memory +pids")
            return own
    except OSError:
        pass  # EBUSY: the server's cgroup holds processes, so it cannot offer controllers
    return None


def _remove_stale(parent: Path) -> None:
    """Remove call cgroups whose server process is gone (rmdir fails, harmlessly, if busy)."""
    for folder in parent.glob(_PREFIX + "*"):
        pid = folder.name[len(_PREFIX) :].partition("-")[0]
        if pid.isdigit() and not Path("/proc", pid).exists():
            with contextlib.suppress(OSError):
                folder.rmdir()


@dataclass
class CallCgroup:
    """The cgroup folders of one call (one for v2, one per controller for v1)."""

    version: int
    folders: list[Path] = field(default_factory=list)

    @staticmethod
    def available() -> int | None:
        """2 or 1 where a call's cgroup can be made and capped here, else None. Also removes
        the empty cgroups that servers killed mid-call left behind."""
        try:
            probe = CallCgroup.create(memory_mb=64, max_processes=4)
        except OSError:
            return None
        probe.remove()
        for parent in {folder.parent for folder in probe.folders}:
            _remove_stale(parent)
        return probe.version

    @classmethod
    def create(cls, memory_mb: int, max_processes: int) -> CallCgroup:
        """A fresh capped cgroup; OSError when none can be made here."""
        name = f"{_PREFIX}{os.getpid()}-{next(_counter)}"
        memory = str(memory_mb << 20)
        parent = _v2_parent()
        if parent is not None:
            group = cls(2, [parent / name])
            limits = [("memory.max", memory), ("memory.swap.max", "0"), ("pids.max", "")]
        else:
            memory_parent, pids_parent = _folder("memory"), _folder("pids")
            if memory_parent is None or pids_parent is None:
                raise OSError("no cgroup v2 with memory and pids, and no cgroup v1 mounts for them")
            group = cls(1, [memory_parent / name, pids_parent / name])
            limits = [
                ("memory.limit_in_bytes", memory),
                ("memory.memsw.limit_in_bytes", memory),  # where swap is accounted
                ("memory.swappiness", "0"),  # v1: no swap for the group, so the cap is RAM + 0
                ("pids.max", ""),
            ]
        try:
            for folder in group.folders:
                folder.mkdir()
            for filename, value in limits:
                targets = [f / filename for f in group.folders if (f / filename).exists()]
                if not targets and filename in ("memory.max", "memory.limit_in_bytes", "pids.max"):
                    raise OSError(f"{filename} is missing: the controller is not enabled")
                for target in targets:
                    _write(target, value or str(max_processes))
        except OSError:
            group.remove()
            raise
        return group

    @property
    def procs_files(self) -> list[str]:
        """What the call's first process writes its pid into, to join the cgroup."""
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def _counter(self, filename: str, key: str) -> int:
        for folder in self.folders:
            with contextlib.suppress(OSError):
                for line in (folder / filename).read_text().splitlines():
                    name, _, value = line.partition(" ")
                    if name == key:
                        return int(value)
        return 0

    def limit_hit(self) -> str | None:
        """ "memory" when the kernel killed a process for the memory cap, "processes" when a
        fork was refused for the process cap, else None."""
        oom_file = "memory.events" if self.version == 2 else "memory.oom_control"
        if self._counter(oom_file, "oom_kill") > 0:
            return "memory"
        if self._counter("pids.events", "max") > 0:
            return "processes"
        return None

    def kill(self) -> None:
        """SIGKILL every process in the cgroup, until none is left (or 5 s have passed)."""
        procs = self.folders[0] / "cgroup.procs"
        kill_file = self.folders[0] / "cgroup.kill"
        if self.version == 2 and kill_file.exists():
            with contextlib.suppress(OSError):
                _write(kill_file, "1")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                pids = [int(pid) for pid in procs.read_text().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Remove the (empty) cgroup folders; a folder still busy is left (and said so)."""
        for folder in self.folders:
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)  # the last processes are still being reaped
