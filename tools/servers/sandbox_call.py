"""One Python sandbox call: a snippet run in a fresh, limited process, and what happened.

Each call gets a fresh temporary directory (its working directory and HOME, removed afterwards),
a wall-time limit after which the whole process group is killed, a cgroup of its own where the
machine has one, and stdout and stderr each capped. The child starts as `sandbox_child.py`
says; without a cgroup or private tmpfs, `usage_watch.py` samples the call's totals. A call
never outlives the server: `kill_running_calls` ends them all when it is stopped, and a
`CallGuard` (`call_guard.py`) when it is killed outright.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tools.servers.call_guard import CallGuard
from tools.servers.cgroups import CallCgroup
from tools.servers.sandbox_child import child_bootstrap, child_env
from tools.servers.sandbox_limits import Enforcement, SandboxLimits, probe_enforcement
from tools.servers.usage_watch import UsageWatch

MAX_CODE_CHARS = 100_000
_DEFAULT_LIMITS = SandboxLimits()  # frozen, so one shared default is safe


@dataclass
class SandboxResult:
    """The outcome of one snippet. `limit_hit` names the limit that struck, or None: first a
    total capped for the whole call ("memory", "processes", "disk"), else "time", "cpu",
    "memory" (one process), "file_size" or "disk"."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool
    limit_hit: str | None
    stdout_truncated: bool
    stderr_truncated: bool
    duration_s: float


class _CappedReader(threading.Thread):
    """Drains a pipe so the child never blocks on it, keeping only the first `cap` bytes."""

    def __init__(self, fd: int, cap: int) -> None:
        super().__init__(daemon=True)
        self.fd, self.cap = fd, cap
        self.kept = bytearray()
        self.total = 0

    def run(self) -> None:
        while chunk := os.read(self.fd, 65536):
            self.total += len(chunk)
            if len(self.kept) < self.cap:
                self.kept += chunk[: self.cap - len(self.kept)]

    def text(self) -> tuple[str, bool]:
        shown = self.kept.decode("utf-8", errors="replace")
        if self.total <= self.cap:
            return shown, False
        return f"{shown}\n[output truncated: {self.total} bytes, first {self.cap} shown]", True


def _limit_hit(returncode: int, timed_out: bool, stderr: str) -> str | None:
    if timed_out:
        return "time"
    if returncode == -signal.SIGXCPU:
        return "cpu"
    if returncode != 0 and "MemoryError" in stderr:
        return "memory"
    if returncode != 0 and ("File too large" in stderr or returncode == -signal.SIGXFSZ):
        return "file_size"
    if returncode != 0 and "No space left on device" in stderr:
        return "disk"
    return None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
        os.killpg(pgid, signal.SIGKILL)


@dataclass(eq=False)
class _Call:
    """A call in progress, as far as stopping it needs: its folder, cgroup and process group
    (None once the call has reaped its first process, whose id may then be reused)."""

    base: Path
    cgroup: CallCgroup | None = None
    pgid: int | None = None

    def stop(self) -> None:
        with _calls_lock:
            pgid = self.pgid
        if pgid is not None:
            _kill_group(pgid)
        if self.cgroup is not None:
            self.cgroup.kill()
            self.cgroup.remove()
        shutil.rmtree(self.base, ignore_errors=True)


_calls: set[_Call] = set()
_calls_lock = threading.Lock()


def kill_running_calls() -> int:
    """Kill every call in progress, with all it started, and remove its folder and cgroup;
    returns how many. A server that is being stopped calls this, so no snippet outlives it
    (each call's first process also dies with the server: PR_SET_PDEATHSIG, `sandbox_child`)."""
    with _calls_lock:
        calls = list(_calls)
    for call in calls:
        call.stop()
    return len(calls)


def run_python_code(
    code: str,
    limits: SandboxLimits = _DEFAULT_LIMITS,
    timeout_s: float | None = None,
    enforcement: Enforcement | None = None,
) -> SandboxResult:
    """Run `code` as a script in a fresh limited process; never raises for the snippet's faults.

    `enforcement` says how totals are capped here (default: `probe_enforcement()`)."""
    if len(code) > MAX_CODE_CHARS:
        raise ValueError(f"the code is longer than {MAX_CODE_CHARS} characters")
    wall = min(limits.timeout_s if timeout_s is None else timeout_s, limits.max_timeout_s)
    if not wall > 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    enforcement = enforcement or probe_enforcement()
    call = _Call(Path(tempfile.mkdtemp(prefix="memento-python-")))
    with _calls_lock:
        _calls.add(call)
    try:
        base = call.base
        script, workdir = base / "snippet.py", base / "work"
        script.write_text(code, encoding="utf-8")
        workdir.mkdir()
        if enforcement.cgroup_version:
            # The snippet's first process counts as one of pids.max, so add it.
            try:
                call.cgroup = CallCgroup.create(limits.total_memory_mb, limits.max_processes + 1)
            except OSError as exc:
                raise RuntimeError(
                    f"python sandbox: cannot create this call's cgroup ({exc}); not run"
                ) from exc
        cgroup = call.cgroup
        bootstrap = child_bootstrap(
            limits,
            wall,
            cgroup_procs=cgroup.procs_files if cgroup else [],
            disk_mb=limits.total_disk_mb if enforcement.private_tmpfs else 0,
            workdir=workdir,
            script=script,
        )
        watch = {
            "memory_bytes": None if cgroup else limits.total_memory_mb << 20,
            "disk_bytes": None if enforcement.private_tmpfs else limits.total_disk_mb << 20,
        }
        return _run(bootstrap, workdir, wall, limits.max_output_bytes, call, **watch)
    finally:
        with _calls_lock:
            _calls.discard(call)
        call.stop()


def _run(
    bootstrap: str,
    workdir: Path,
    wall: float,
    cap: int,
    call: _Call,
    memory_bytes: int | None,
    disk_bytes: int | None,
) -> SandboxResult:
    started = time.monotonic()
    cgroup = call.cgroup
    with _calls_lock:  # a server stopping meanwhile kills the group it is known by at once
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", bootstrap],
            cwd=workdir,
            env=child_env(str(workdir)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
        )
        call.pgid = proc.pid
    guard = CallGuard(proc.pid, call.base, cgroup.folders if cgroup else [])
    try:
        return _watched(proc, started, wall, cap, call, memory_bytes, disk_bytes)
    finally:
        guard.release()


def _watched(
    proc: subprocess.Popen[bytes],
    started: float,
    wall: float,
    cap: int,
    call: _Call,
    memory_bytes: int | None,
    disk_bytes: int | None,
) -> SandboxResult:
    """Wait for the call's process within `wall`, watching its totals; then kill whatever it
    left and read what it printed."""
    cgroup = call.cgroup
    readers = [_CappedReader(proc.stdout.fileno(), cap), _CappedReader(proc.stderr.fileno(), cap)]
    for reader in readers:
        reader.start()
    workdir = call.base / "work"
    watch = UsageWatch(lambda: _kill_group(proc.pid), proc.pid, memory_bytes, workdir, disk_bytes)
    if memory_bytes is not None or disk_bytes is not None:
        watch.start()
    try:
        proc.wait(timeout=wall)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    if watch.is_alive():
        watch.stop()
    _kill_group(proc.pid)  # also whatever the snippet left running in the background
    if cgroup is not None:
        cgroup.kill()  # and whatever left the process group
    proc.wait()
    with _calls_lock:
        call.pgid = None
    duration = time.monotonic() - started
    for reader in readers:
        reader.join(timeout=2)
    proc.stdout.close()
    proc.stderr.close()
    (stdout, out_cut), (stderr, err_cut) = readers[0].text(), readers[1].text()
    return SandboxResult(
        exit_code=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        limit_hit=(
            watch.limit_hit
            or (cgroup.limit_hit() if cgroup else None)
            or _limit_hit(proc.returncode, timed_out, stderr)
        ),
        stdout_truncated=out_cut,
        stderr_truncated=err_cut,
        duration_s=round(duration, 3),
    )
