"""Confinement of the Python sandbox's child process: Landlock (Linux 5.13+) and no capabilities.

`confine(writable)` lets the calling process (and everything it execs or forks) create, change
or delete files only beneath the given folders, open no TCP connection and bind no TCP port
(kernel 6.7+), and signal or connect to abstract Unix sockets of no process outside itself
(6.12+). Landlock also stops it from reading another process's /proc/PID/environ or memory;
for a root process that needs its capabilities gone too (CAP_SYS_PTRACE would override), so
they are all dropped, and `no_new_privs` keeps exec from giving them back. Reading files stays
allowed: the interpreter needs its libraries. No privileges are needed for any of it.

Standard library only: the sandbox's bootstrap imports this file by path under ``python -I -S``.
"""

from __future__ import annotations

import ctypes
import functools
import os
import struct
import sys

# Syscall numbers from the generic table, shared by x86-64 and arm64.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_CAPSET = {"x86_64": 126, "aarch64": 91}
_CAPABILITY_VERSION_3 = 0x20080522

# Filesystem rights that change something (bit numbers from linux/landlock.h), by ABI version.
_WRITE_FILE, _TRUNCATE = 1 << 1, 1 << 14
_WRITE_RIGHTS_V1 = _WRITE_FILE | sum(1 << bit for bit in range(4, 13))  # remove and make
_REFER = 1 << 13  # v2: link or rename across folders
_NET_TCP = (1 << 0) | (1 << 1)  # v4: bind and connect
_SCOPES = (1 << 0) | (1 << 1)  # v6: abstract Unix sockets and signals

DEVICE_FILES = ("/dev/null",)
"""Files beside the folders that a snippet may write (output thrown away)."""


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syscall(number: int, *args: object) -> int:
    result = _libc().syscall(number, *args)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"landlock syscall {number}: {os.strerror(errno)}")
    return int(result)


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing or switched off."""
    if not sys.platform.startswith("linux") or os.uname().machine not in ("x86_64", "aarch64"):
        return 0
    try:
        return _syscall(_CREATE_RULESET, None, 0, _CREATE_RULESET_VERSION)
    except OSError:
        return 0


def what_is_enforced(abi: int) -> list[str]:
    """Plain words for what `confine` blocks on a kernel with this ABI version."""
    if abi < 1:
        return []
    enforced = ["writing files outside its folder", "reading other processes' environment"]
    if abi >= 4:
        enforced.append("TCP connections and listening")
    if abi >= 6:
        enforced.append("signals to processes outside the sandbox")
    return enforced


def confine(writable: list[str]) -> int:
    """Confine this process as the module docstring says; returns the ABI version used.

    Does nothing and returns 0 where the kernel has no Landlock. Raises OSError when Landlock
    is there but the rules cannot be applied, so that the caller never runs unconfined by
    mistake.
    """
    abi = abi_version()
    if abi < 1:
        return 0
    fs = _WRITE_RIGHTS_V1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    attr = struct.pack("=Q", fs)
    if abi >= 4:
        attr += struct.pack("=Q", _NET_TCP)  # no rule allows a port: every one is refused
    if abi >= 6:
        attr += struct.pack("=Q", _SCOPES)
    attr_buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(_CREATE_RULESET, attr_buffer, len(attr), 0)
    try:
        for folder in writable:
            _allow(ruleset, folder, fs)
        for device in DEVICE_FILES:
            if os.path.exists(device):
                _allow(ruleset, device, _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0))
        if _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        _drop_capabilities()
        _syscall(_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
    return abi


def _allow(ruleset: int, path: str, rights: int) -> None:
    """Allow `rights` beneath `path` (a folder, or one file)."""
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr, packed
        rule_buffer = ctypes.create_string_buffer(rule, len(rule))
        _syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule_buffer, 0)
    finally:
        os.close(fd)


def _drop_capabilities() -> None:
    """Clear the effective, permitted and inheritable capability sets (a no-op for non-root)."""
    header = ctypes.create_string_buffer(struct.pack("=Ii", _CAPABILITY_VERSION_3, 0), 8)
    data = ctypes.create_string_buffer(bytes(24), 24)  # two {effective, permitted, inheritable}
    _syscall(_CAPSET[os.uname().machine], header, data)
