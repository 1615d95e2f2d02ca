"""A Python MCP server: runs a snippet in a separate, limited process and reports what happened.

Each call gets a fresh temporary directory (its working directory and HOME, removed afterwards),
an environment built from scratch (no variable of the server's own, so no API key leaks in), a
wall-time limit after which the whole process group is killed, and kernel resource limits:
address space, CPU seconds, processes, file size and open files, each per process, and totals
for the whole call (below). Where the kernel has Landlock, the child may write only in its
folder, open no TCP connection, signal nothing outside and read no other process's environment
(`confinement.py`). stdout and stderr are each capped. The result says the exit code, whether
the time limit struck, which limit was hit (if any) and whether output was cut.

Limits are set by command-line flags or environment variables (flag wins):

    --timeout-s          MEMENTO_PYTHON_TIMEOUT_S          default wall time a call gets (10)
    --max-timeout-s      MEMENTO_PYTHON_MAX_TIMEOUT_S      the most a call may ask for (60)
    --memory-mb          MEMENTO_PYTHON_MEMORY_MB          address space, RLIMIT_AS (1024)
    --max-processes      MEMENTO_PYTHON_MAX_PROCESSES      extra processes/threads (32)
    --max-file-mb        MEMENTO_PYTHON_MAX_FILE_MB        largest file it may write (16)
    --max-open-files     MEMENTO_PYTHON_MAX_OPEN_FILES     RLIMIT_NOFILE (256)
    --max-output-bytes   MEMENTO_PYTHON_MAX_OUTPUT_BYTES   kept of stdout and of stderr (20000)
    --total-memory-mb    MEMENTO_PYTHON_TOTAL_MEMORY_MB    memory of all its processes (1024)
    --total-disk-mb      MEMENTO_PYTHON_TOTAL_DISK_MB      all it writes, together (64)

Totals are capped for the whole call where the kernel lets the server (probed once, at start):
a cgroup per call (v2, or v1's memory and pids hierarchies: `cgroups.py`) caps the memory and
the processes of all it starts, even for root, and kills the ones that left the process group;
a private tmpfs of `total_disk_mb` over its folder caps all it writes (`private_tmpfs.py`; the
files then live in memory and count towards the memory total). Where either is missing, a
watchdog samples the total four times a second and kills the process group past it
(`usage_watch.py`): approximate, and blind to processes that leave the group. The tool's
description says which applies.

The limits are applied by a tiny bootstrap in the child that then `exec`s the interpreter on the
snippet, rather than by `preexec_fn`, which is unsafe in a process with threads (the tool runs in
a worker thread). RLIMIT_NPROC counts every process of the user, so it is set to the user's
current count plus `max_processes`; the kernel does not enforce it for root, so a server run as
root is capped only by the call's cgroup, where there is one. UDP is not blocked, files stay
readable, and without a cgroup a process that leaves its process group outlives the call. This
is a guard against runaway and careless code, not a security boundary against a determined
attacker: run the server in a container for that.
Run it alone with ``python -m tools.servers.python_sandbox``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import anyio
from mcp.server.fastmcp import FastMCP

from tools.servers import confinement
from tools.servers.cgroups import CallCgroup
from tools.servers.usage_watch import UsageWatch

MAX_CODE_CHARS = 100_000
ENV_PREFIX = "MEMENTO_PYTHON_"


@dataclass(frozen=True)
class SandboxLimits:
    """What one snippet may use; every field is also a server flag and an env variable."""

    timeout_s: float = 10.0
    max_timeout_s: float = 60.0
    memory_mb: int = 1024
    max_processes: int = 32
    max_file_mb: int = 16
    max_open_files: int = 256
    max_output_bytes: int = 20_000
    total_memory_mb: int = 1024
    total_disk_mb: int = 64


MAX_FILES = 10_000
"""Inodes of a call's private tmpfs: files and folders it may create in all."""


@dataclass(frozen=True)
class Enforcement:
    """Which kernel mechanisms cap a call's totals on this machine (probed once)."""

    cgroup_version: int | None  # 2 or 1: memory and processes capped in all; None: per process
    private_tmpfs: bool  # True: everything written is capped in all; False: sampled

    def describe(self, limits: SandboxLimits) -> str:
        """The totals of one call in plain words, saying how exact each one is."""
        memory = f"{limits.total_memory_mb} MB of memory and {limits.max_processes} processes"
        disk = f"{limits.total_disk_mb} MB of files"
        parts = [
            f"{memory} in all (cgroup v{self.cgroup_version})"
            if self.cgroup_version
            else f"{limits.total_memory_mb} MB of memory in all (sampled, approximate)",
            f"{disk} in all"
            + (" (private tmpfs)" if self.private_tmpfs else " (sampled, approximate)"),
        ]
        return "; ".join(parts)


@functools.cache
def probe_enforcement() -> Enforcement:
    """What this machine offers: a cgroup per call, a private tmpfs per call (a test child)."""
    folder = tempfile.mkdtemp(prefix="memento-python-probe-")
    try:
        probe = subprocess.run(
            [sys.executable, "-I", "-S", str(Path(_SERVERS_DIR, "private_tmpfs.py")), folder],
            capture_output=True,
            timeout=30,
        )
        tmpfs = probe.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        tmpfs = False
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Enforcement(cgroup_version=CallCgroup.available(), private_tmpfs=tmpfs)


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


def _user_task_count(uid: int) -> int:
    """Processes and threads the user owns now (Linux /proc; 0 where there is none)."""
    count = 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            status = Path("/proc", pid, "status").read_text().splitlines()
        except OSError:
            continue  # the process ended while we looked
        fields_ = dict(line.split(":", 1) for line in status if ":" in line)
        if int(fields_.get("Uid", "-1").split()[0]) == uid:
            count += int(fields_.get("Threads", "1"))
    return count


def _rlimits(limits: SandboxLimits, timeout_s: float) -> list[tuple[str, int, int]]:
    cpu = math.ceil(timeout_s) + 1
    nproc = _user_task_count(os.getuid()) + limits.max_processes
    return [
        ("RLIMIT_AS", limits.memory_mb << 20, limits.memory_mb << 20),
        ("RLIMIT_CPU", cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL one second later
        ("RLIMIT_NPROC", nproc, nproc),
        ("RLIMIT_FSIZE", limits.max_file_mb << 20, limits.max_file_mb << 20),
        ("RLIMIT_NOFILE", limits.max_open_files, limits.max_open_files),
        ("RLIMIT_CORE", 0, 0),
    ]


# Runs in the child under `-I -S`: lower the limits (never above an existing hard limit), join
# the call's cgroup (cgroups.py), mount the capped private tmpfs over its folder
# (private_tmpfs.py), confine the process (confinement.py: Landlock, no capabilities), then
# replace itself with the interpreter on the snippet, so the snippet starts with all of it in
# force. Any step that fails ends the child with its traceback: never a call without the caps
# the description promises. Unbuffered (-u), so what a snippet printed before it was killed
# still comes back.
_BOOTSTRAP = """\
import os, resource, sys
for name, soft, hard in {rlimits!r}:
    key = getattr(resource, name)
    cap = resource.getrlimit(key)[1]
    if cap != resource.RLIM_INFINITY:
        soft, hard = min(soft, cap), min(hard, cap)
    resource.setrlimit(key, (soft, hard))
for procs in {cgroup_procs!r}:
    with open(procs, "w") as file:
        file.write(str(os.getpid()))
sys.path.insert(0, {servers!r})
if {disk_mb!r}:
    import private_tmpfs
    private_tmpfs.mount_private_tmpfs({workdir!r}, {disk_mb!r}, {max_files!r})
    os.chdir({workdir!r})
import confinement
confinement.confine([{workdir!r}])
os.execv(sys.executable, [sys.executable, "-I", "-u", {script!r}])
"""
_SERVERS_DIR = str(Path(__file__).resolve().parent)


def _child_env(home: str) -> dict[str, str]:
    """An environment from scratch: nothing of the server's own (no keys, tokens or paths)."""
    return {
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", os.defpath]),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


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
    limits: SandboxLimits = SandboxLimits(),
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
        bootstrap = _BOOTSTRAP.format(
            rlimits=_rlimits(limits, wall),
            cgroup_procs=cgroup.procs_files if cgroup else [],
            servers=_SERVERS_DIR,
            disk_mb=limits.total_disk_mb if enforcement.private_tmpfs else 0,
            max_files=MAX_FILES,
            workdir=str(workdir),
            script=str(script),
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
        env=_child_env(str(workdir)),
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


def limits_from_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> SandboxLimits:
    """Limits from flags (``--memory-mb 512``), else env (``MEMENTO_PYTHON_MEMORY_MB``),
    else the defaults."""
    environ = os.environ if environ is None else environ
    defaults = SandboxLimits()
    parser = argparse.ArgumentParser(description="Memento's Python sandbox MCP server (stdio).")
    for field in fields(SandboxLimits):
        env = ENV_PREFIX + field.name.upper()
        kind = type(getattr(defaults, field.name))
        parser.add_argument(
            "--" + field.name.replace("_", "-"),
            type=kind,
            default=environ.get(env, str(getattr(defaults, field.name))),  # argparse converts
            help=f"(env {env}; default {getattr(defaults, field.name)})",
        )
    args = parser.parse_args(argv)
    return replace(defaults, **{f.name: getattr(args, f.name) for f in fields(SandboxLimits)})


def build_server(limits: SandboxLimits) -> FastMCP:
    """The MCP server with its one tool, `run_python`, bound to `limits`."""
    mcp = FastMCP("python", log_level="WARNING")
    blocked = confinement.what_is_enforced(confinement.abi_version())
    enforcement = probe_enforcement()
    description = (
        "Run a Python 3 script in a fresh sandboxed process and return its stdout, stderr and "
        "exit code. Print what you need to see. Each call starts from scratch (no state is kept "
        f"between calls). Limits: {limits.timeout_s:g} s by default (timeout_s, at most "
        f"{limits.max_timeout_s:g} s), {limits.memory_mb} MB of memory per process, "
        f"{limits.max_file_mb} MB per file; totals: {enforcement.describe(limits)}; "
        f"output cut after {limits.max_output_bytes} bytes."
        + (f" Not allowed: {', '.join(blocked)}." if blocked else "")
    )

    @mcp.tool(description=description)
    async def run_python(code: str, timeout_s: float = limits.timeout_s) -> SandboxResult:
        return await anyio.to_thread.run_sync(run_python_code, code, limits, timeout_s, enforcement)

    return mcp


def main(argv: Sequence[str] | None = None) -> None:
    build_server(limits_from_args(argv)).run()


if __name__ == "__main__":
    main()
