"""One Python sandbox call: a snippet run in a fresh, limited process, and what happened.

Each call gets a fresh temporary directory (its working directory and HOME, removed afterwards),
a wall-time limit after which the whole process group is killed, a cgroup of its own where the
machine has one, and stdout and stderr each capped. The child starts as `sandbox_child.py`
says; without a cgroup or private tmpfs, `usage_watch.py` samples the call's totals.
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
    base = Path(tempfile.mkdtemp(prefix="memento-python-"))
    cgroup = None
    try:
        script, workdir = base / "snippet.py", base / "work"
        script.write_text(code, encoding="utf-8")
        workdir.mkdir()
        if enforcement.cgroup_version:
            # The snippet's first process counts as one of pids.max, so add it.
            try:
                cgroup = CallCgroup.create(limits.total_memory_mb, limits.max_processes + 1)
            except OSError as exc:
                raise RuntimeError(
                    f"python sandbox: cannot create this call's cgroup ({exc}); not run"
                ) from exc
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
        return _run(bootstrap, workdir, wall, limits.max_output_bytes, cgroup, **watch)
    finally:
        if cgroup is not None:
            cgroup.kill()
            cgroup.remove()
        shutil.rmtree(base, ignore_errors=True)


def _run(
    bootstrap: str,
    workdir: Path,
    wall: float,
    cap: int,
    cgroup: CallCgroup | None,
    memory_bytes: int | None,
    disk_bytes: int | None,
) -> SandboxResult:
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", bootstrap],
        cwd=workdir,
        env=child_env(str(workdir)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,
    )
    readers = [_CappedReader(proc.stdout.fileno(), cap), _CappedReader(proc.stderr.fileno(), cap)]
    for reader in readers:
        reader.start()
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
