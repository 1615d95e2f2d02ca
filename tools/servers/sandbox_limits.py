"""What one Python sandbox call may use, and how exactly this machine can cap its totals.

`SandboxLimits` is what the server's flags and env variables set (`python_sandbox.py`).
`Enforcement` is what the kernel offers for the totals of a call, probed once per server: a
cgroup per call (`cgroups.py`) and a private tmpfs per call (`private_tmpfs.py`) cap them
exactly; without them `usage_watch.py` samples them. The tool's description says which applies.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tools.servers.cgroups import CallCgroup

_PRIVATE_TMPFS = str(Path(__file__).resolve().with_name("private_tmpfs.py"))


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
            [sys.executable, "-I", "-S", _PRIVATE_TMPFS, folder],
            capture_output=True,
            timeout=30,
        )
        tmpfs = probe.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        tmpfs = False
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Enforcement(cgroup_version=CallCgroup.available(), private_tmpfs=tmpfs)
