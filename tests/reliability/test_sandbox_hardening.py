"""What the Python sandbox blocks, tried from inside a snippet (README: Security).

Blocked by Landlock and dropped capabilities where the kernel has Landlock (5.13+; TCP from
6.7, signals from 6.12); each test that depends on it says so when it is skipped.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from tools.servers import confinement
from tools.servers.python_sandbox import SandboxLimits, probe_enforcement, run_python_code

ABI = confinement.abi_version()
needs_landlock = pytest.mark.skipif(ABI < 1, reason="no Landlock: NOT blocked on this kernel")
needs_landlock_net = pytest.mark.skipif(ABI < 4, reason="Landlock < 4: TCP NOT blocked")
needs_landlock_scopes = pytest.mark.skipif(ABI < 6, reason="Landlock < 6: signals NOT blocked")


def _attempt(action: str) -> str:
    """Snippet code that runs `action` and prints ALLOWED or the error that stopped it."""
    return f"try:\n    {action}\n    print('ALLOWED')\nexcept OSError as exc:\n    print(repr(exc))"


@needs_landlock
def test_writing_outside_its_folder_is_refused_and_inside_allowed(tmp_path: Path) -> None:
    existing = tmp_path / "keep.txt"
    existing.write_text("original")
    attempts = [
        f"open({str(tmp_path / 'new.txt')!r}, 'w').write('x')",
        f"open({str(existing)!r}, 'a').write('changed')",
        f"__import__('os').remove({str(existing)!r})",
        f"__import__('os').mkdir({str(tmp_path / 'folder')!r})",
        "open('inside.txt', 'w').write('x')",
    ]
    results = [run_python_code(_attempt(action)).stdout.strip() for action in attempts]
    assert all("PermissionError" in r for r in results[:4]), results
    assert results[4] == "ALLOWED"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    assert existing.read_text() == "original"


@needs_landlock
def test_another_process_environment_cannot_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-for-the-sandbox-test")
    read_ours = f"print(open('/proc/{os.getpid()}/environ', 'rb').read())"  # the agent's process
    result = run_python_code(_attempt(read_ours))
    assert "sk-planted" not in result.stdout
    assert "PermissionError" in result.stdout


@needs_landlock_net
def test_tcp_connections_and_listening_are_refused() -> None:
    accepted: list[object] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(3)
        port = server.getsockname()[1]
        waiter = threading.Thread(target=lambda: accepted.append(_accept(server)))
        waiter.start()
        connect = f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=2)"
        bind = "__import__('socket').create_server(('127.0.0.1', 0))"
        results = [run_python_code(_attempt(a)).stdout.strip() for a in (connect, bind)]
        waiter.join()
    assert all("PermissionError" in r for r in results), results
    assert accepted == [None]  # nothing reached the listener


def _accept(server: socket.socket) -> object:
    try:
        return server.accept()
    except TimeoutError:
        return None


def test_udp_is_not_blocked_as_the_readme_says() -> None:
    send = "__import__('socket').socket(2, 2).sendto(b'x', ('127.0.0.1', 9))"
    assert run_python_code(_attempt(send)).stdout.strip() == "ALLOWED"


@needs_landlock_scopes
def test_processes_outside_the_sandbox_cannot_be_signalled() -> None:
    result = run_python_code(_attempt(f"__import__('os').kill({os.getpid()}, 0)"))
    assert "PermissionError" in result.stdout


def test_a_fork_bomb_leaves_no_process_behind() -> None:
    code = (
        "import os, time\n"
        "for _ in range(100):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
        "print('forked')\ntime.sleep(60)"
    )
    result = run_python_code(code, SandboxLimits(max_processes=10), timeout_s=2)
    # The time limit struck; where a cgroup caps processes, that cap (hit first) is named.
    assert result.timed_out and result.limit_hit in {"time", "processes"}
    assert not _processes_running("memento-python-")


def _processes_running(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path("/proc", pid, "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(pid)
    return found


@pytest.mark.skipif(
    os.geteuid() == 0 and not probe_enforcement().cgroup_version,
    reason="root without a cgroup: the kernel does not enforce RLIMIT_NPROC for root",
)
def test_a_fork_bomb_runs_out_of_processes() -> None:
    code = (
        "import os, time\nmade = 0\n"
        "for _ in range(200):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(5)\n        os._exit(0)\n"
        "    made += 1\nprint(made)"
    )
    result = run_python_code(code, SandboxLimits(max_processes=10), timeout_s=5)
    assert int(result.stdout.split()[0]) < 50
