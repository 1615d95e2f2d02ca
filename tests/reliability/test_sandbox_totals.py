"""Issue 15.8: a sandbox call's totals are capped, not only each process and each file.

The old sandbox let one call hold 3.2 GB across 4 processes and write 360 MB across 24 files.
Where the kernel allows, a cgroup per call caps memory and processes in all and a private
tmpfs caps what it writes in all (exact); elsewhere a watchdog samples both (approximate).
Each test says, when skipped, which mechanism this machine lacks.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tools.servers.python_sandbox import (
    Enforcement,
    SandboxLimits,
    build_server,
    probe_enforcement,
    run_python_code,
)

ENFORCED = probe_enforcement()
needs_cgroup = pytest.mark.skipif(
    not ENFORCED.cgroup_version, reason="no writable cgroup: totals only sampled here"
)
needs_tmpfs = pytest.mark.skipif(
    not ENFORCED.private_tmpfs, reason="no private tmpfs: files only sampled here"
)
SAMPLED = Enforcement(cgroup_version=None, private_tmpfs=False)
LIMITS = SandboxLimits(total_memory_mb=256, total_disk_mb=32)

# Four processes of 100 MB each: every one under the 1 GB per-process limit, 400 MB together.
MEMORY_HOG = """
import os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(100 << 20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(2)
        os._exit(0)
    children.append(pid)
print("statuses", [os.waitpid(pid, 0)[1] for pid in children])
"""

# 24 files of 8 MB: each under the 16 MB per-file limit, 192 MB together. Paced (1.2 s in
# all), so that the sampling fallback, which looks four times a second, sees it on any disk.
DISK_HOG = """
import os, time
for i in range(24):
    with open(f"file{i}", "wb") as file:
        file.write(os.urandom(8 << 20))
    time.sleep(0.05)
print("wrote them all")
"""


def _all_children_held_their_memory(stdout: str) -> bool:
    return "statuses [0, 0, 0, 0]" in stdout


@needs_cgroup
def test_memory_is_capped_across_processes_by_the_call_cgroup() -> None:
    result = run_python_code(MEMORY_HOG, LIMITS, timeout_s=60, enforcement=ENFORCED)
    assert result.limit_hit == "memory"
    assert not _all_children_held_their_memory(result.stdout)


@needs_tmpfs
def test_files_are_capped_in_all_by_the_private_tmpfs() -> None:
    result = run_python_code(DISK_HOG, LIMITS, timeout_s=60, enforcement=ENFORCED)
    assert result.limit_hit == "disk" and "No space left on device" in result.stderr
    assert "wrote them all" not in result.stdout


@needs_cgroup
def test_processes_are_capped_in_all_even_for_root() -> None:
    code = (
        "import os, time\nmade = 0\n"
        "for _ in range(100):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(5)\n        os._exit(0)\n"
        "    made += 1\nprint(made)"
    )
    result = run_python_code(code, SandboxLimits(max_processes=8), 30, ENFORCED)
    assert int(result.stdout.split()[0]) <= 8 and result.limit_hit == "processes"


@needs_cgroup
def test_a_process_that_left_the_process_group_does_not_outlive_the_call() -> None:
    code = (
        "import os, time\nr, w = os.pipe()\n"
        "if os.fork() == 0:\n    os.setsid()\n    os.write(w, str(os.getpid()).encode())\n"
        "    time.sleep(120)\n    os._exit(0)\n"
        "print(os.read(r, 32).decode())"
    )
    result = run_python_code(code, SandboxLimits(), 30, ENFORCED)
    escaped = int(result.stdout.strip())
    deadline = time.monotonic() + 30  # reaping is immediate; only a broken kill waits this out
    while _alive(escaped) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(escaped)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_where_the_kernel_cannot_cap_them_memory_and_files_are_sampled() -> None:
    memory = run_python_code(MEMORY_HOG, LIMITS, timeout_s=60, enforcement=SAMPLED)
    assert memory.limit_hit == "memory" and not _all_children_held_their_memory(memory.stdout)
    disk = run_python_code(DISK_HOG, LIMITS, timeout_s=60, enforcement=SAMPLED)
    assert disk.limit_hit == "disk" and "wrote them all" not in disk.stdout


def test_the_tool_description_says_how_totals_are_capped_here() -> None:
    server = build_server(LIMITS)
    (tool,) = server._tool_manager.list_tools()
    assert "256 MB of memory" in tool.description and "32 MB of files" in tool.description
    exact = ENFORCED.cgroup_version and ENFORCED.private_tmpfs
    assert ("approximate" in tool.description) != bool(exact)
