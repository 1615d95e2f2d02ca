"""A size-capped private tmpfs over the sandbox's working folder: a hard cap on all it writes.

`mount_private_tmpfs(folder, size_mb, max_files)` moves the calling process into a mount
namespace of its own (inside a user namespace of its own when it is not root) and mounts a
tmpfs of `size_mb` megabytes and `max_files` inodes over `folder`. Every file the process and
its children write there counts against that one size (ENOSPC beyond it), whatever the number
of files or processes; with Landlock (`confinement.py`) the folder is the only place they may
write. The mount is seen by no other process and vanishes with the last process in the
namespace. The files live in memory, so they also count against the call's memory cgroup.

Standard library only: the sandbox's bootstrap imports this file by path under ``python -I -S``.
``python -I -S private_tmpfs.py FOLDER`` exits 0 where the mount works (the server's probe).
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 1 << 18


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _own_mount_namespace() -> None:
    """A mount namespace of our own: as root directly, else inside a user namespace that maps
    our own uid and gid (so files are still ours)."""
    if os.geteuid() == 0 and _libc().unshare(_CLONE_NEWNS) == 0:
        return
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc().unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare(user and mount namespace)")
    for name, line in (
        ("setgroups", "deny"),
        ("uid_map", f"{uid} {uid} 1"),
        ("gid_map", f"{gid} {gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(line)


def mount_private_tmpfs(folder: str, size_mb: int, max_files: int) -> None:
    """Mount the capped tmpfs over `folder` (see the module docstring); OSError if it fails."""
    _own_mount_namespace()
    # Private first, so that nothing mounted here propagates back to the host's namespace.
    _check(
        _libc().mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate /"
    )
    options = f"size={size_mb}m,nr_inodes={max_files},mode=0700".encode()
    _check(
        _libc().mount(b"tmpfs", os.fsencode(folder), b"tmpfs", _MS_NOSUID | _MS_NODEV, options),
        f"mount tmpfs on {folder}",
    )


def _probe(folder: str) -> int:
    try:
        mount_private_tmpfs(folder, 1, 16)
    except OSError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_probe(sys.argv[1]))
