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
A call does not outlive the server, nor the server its client: a server stopped by SIGTERM or
SIGHUP, or whose client's process is gone (checked twice a second: a client killed outright
never closes the session), first kills every running call with all it started (its process
group and cgroup); a server killed outright (SIGKILL, as an asyncio loop closing kills its
subprocesses) takes them too: the kernel kills each call's first process (PR_SET_PDEATHSIG)
and the call's guard the rest (`call_guard.py`).
This module is the server and its flags; `sandbox_limits.py` holds the limits and what this
machine enforces, `sandbox_child.py` the child's environment and bootstrap, and
`sandbox_call.py` one call, run and watched.
Run it alone with ``python -m tools.servers.python_sandbox``.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace

import anyio
from mcp.server.fastmcp import FastMCP

from tools.servers import confinement
from tools.servers.sandbox_call import (
    MAX_CODE_CHARS,
    SandboxResult,
    kill_running_calls,
    run_python_code,
)
from tools.servers.sandbox_child import MAX_FILES
from tools.servers.sandbox_limits import Enforcement, SandboxLimits, probe_enforcement

# The sandbox's public names, importable from the server module as before the split.
__all__ = [
    "ENV_PREFIX",
    "MAX_CODE_CHARS",
    "MAX_FILES",
    "Enforcement",
    "SandboxLimits",
    "SandboxResult",
    "build_server",
    "limits_from_args",
    "main",
    "probe_enforcement",
    "run_python_code",
]

ENV_PREFIX = "MEMENTO_PYTHON_"


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
    """Serve over stdio until the client closes it, a signal ends the server or the client's
    process is gone; every call still running is killed first, with all it started
    (`kill_running_calls`)."""
    server = build_server(limits_from_args(argv))
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_calls_then_end)
    watch = threading.Thread(target=_end_when_orphaned, args=(os.getppid(),), daemon=True)
    watch.start()
    try:
        server.run()
    finally:
        kill_running_calls()


ORPHAN_POLL_S = 0.5


def _end_when_orphaned(parent: int) -> None:
    """End the server (as SIGTERM does) once its client's process is gone, however it went:
    a client killed outright never closes the session, and a call in flight keeps the stdio
    loop waiting for it, so the server would otherwise live as long as the call."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)


def _stop_calls_then_end(signum: int, frame: object) -> None:
    """Kill the running calls, then end as the signal would have ended the server."""
    kill_running_calls()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


if __name__ == "__main__":
    main()
