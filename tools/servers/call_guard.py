"""A watcher that ends a sandbox call's processes if the server dies during the call.

The kernel kills a call's first process when the server dies (PR_SET_PDEATHSIG, set by the
child's bootstrap), but not what that process started, and a server stopped gently kills them
itself (`kill_running_calls`) while a server killed outright cannot: an asyncio event loop
closing, as `memento run` does on SIGTERM, kills the subprocesses it started with SIGKILL. So
each call has a `CallGuard`: a shell, in a session of its own (a signal to the server's process
group spares it), that reads a pipe only the server holds. When the call ends the server writes
"done" and the guard exits; when the server dies, however it dies, the pipe closes unread and
the guard kills the call's process group and everything in its cgroup, then removes the cgroup
and the call's folder.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

_SCRIPT = """\
read -r line
[ "$line" = done ] && exit 0
kill -KILL -- "-$1" 2>/dev/null
base=$2
shift 2
for group in "$@"; do
    [ -e "$group/cgroup.kill" ] && echo 1 > "$group/cgroup.kill" 2>/dev/null
    for pid in $(cat "$group/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
done
sleep 0.2
for group in "$@"; do rmdir "$group" 2>/dev/null; done
rm -rf -- "$base"
"""


class CallGuard:
    """The guard of one call, watching process group `pgid`, the cgroup `folders` and the
    call's `base` folder; `release` when the call has ended by itself."""

    def __init__(self, pgid: int, base: Path, folders: list[Path]) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        shell = shutil.which("sh")
        if shell is None:  # no guard: the first process still dies with the server
            return
        with contextlib.suppress(OSError):
            self._proc = subprocess.Popen(
                [
                    shell,
                    "-c",
                    _SCRIPT,
                    "memento-call-guard",
                    str(pgid),
                    str(base),
                    *map(str, folders),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

    def release(self) -> None:
        """Tell the guard the call ended (the server cleans up itself) and wait for it."""
        if self._proc is None or self._proc.stdin is None:
            return
        with contextlib.suppress(OSError):
            self._proc.stdin.write(b"done\n")
            self._proc.stdin.close()
        self._proc.wait()
