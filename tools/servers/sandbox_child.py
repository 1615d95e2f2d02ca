"""How a sandbox call's child process starts: its environment and the bootstrap it runs first.

The limits are applied by a tiny bootstrap in the child that then `exec`s the interpreter on the
snippet, rather than by `preexec_fn`, which is unsafe in a process with threads (the tool runs in
a worker thread). RLIMIT_NPROC counts every process of the user, so it is set to the user's
current count plus `max_processes`; the kernel does not enforce it for root.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from tools.servers.sandbox_limits import SandboxLimits

MAX_FILES = 10_000
"""Inodes of a call's private tmpfs: files and folders it may create in all."""

# Runs in the child under `-I -S`: lower the limits (never above an existing hard limit), join
# the call's cgroup (cgroups.py), mount the capped private tmpfs over its folder
# (private_tmpfs.py), confine the process (confinement.py: Landlock, no capabilities), ask the
# kernel to SIGKILL it when the server dies (PR_SET_PDEATHSIG: however the server ends, SIGKILL
# included; kept across exec), then replace itself with the interpreter on the snippet, so the
# snippet starts with all of it in force. Any step that fails ends the child with its
# traceback: never a call without the caps the description promises. Unbuffered (-u), so what
# a snippet printed before it was killed still comes back.
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
if sys.platform.startswith("linux"):
    import ctypes
    if ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG, SIGKILL
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != {server!r}:  # the server died before the line above
        os._exit(137)
os.execv(sys.executable, [sys.executable, "-I", "-u", {script!r}])
"""
# The bootstrap imports confinement.py and private_tmpfs.py by path from this folder: it runs
# under `-I -S`, where the `tools` package is not importable.
_SERVERS_DIR = str(Path(__file__).resolve().parent)


def child_bootstrap(
    limits: SandboxLimits,
    wall: float,
    cgroup_procs: list[str],
    disk_mb: int,
    workdir: Path,
    script: Path,
) -> str:
    """The source the child runs under ``python -I -S -c``: it joins the cgroup (whose
    `cgroup.procs` files are `cgroup_procs`), mounts a tmpfs of `disk_mb` over `workdir` (none
    for 0), confines itself, dies with the calling thread (PR_SET_PDEATHSIG: the call's thread
    waits for it, so in effect with the server) and then runs `script`."""
    return _BOOTSTRAP.format(
        rlimits=_rlimits(limits, wall),
        cgroup_procs=cgroup_procs,
        servers=_SERVERS_DIR,
        disk_mb=disk_mb,
        max_files=MAX_FILES,
        workdir=str(workdir),
        script=str(script),
        server=os.getpid(),
    )


def child_env(home: str) -> dict[str, str]:
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
