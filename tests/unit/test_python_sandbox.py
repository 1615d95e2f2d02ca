"""The Python sandbox's logic, called directly: limits, environment, working directory, output."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tools.servers.python_sandbox import SandboxLimits, limits_from_args, run_python_code


def test_a_snippet_runs_and_its_output_comes_back() -> None:
    result = run_python_code("import sys\nprint(6 * 7)\nprint('oops', file=sys.stderr)")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "42\n", "oops\n")
    assert not result.timed_out and result.limit_hit is None


def test_an_exception_is_reported_with_its_traceback_not_raised() -> None:
    result = run_python_code("x = 1\n1 / x - 1 / 0")
    assert result.exit_code == 1 and "ZeroDivisionError" in result.stderr
    assert "1 / x - 1 / 0" in result.stderr  # the source line: the snippet runs from a file


def test_an_infinite_loop_is_killed_at_the_time_limit() -> None:
    result = run_python_code("while True:\n    pass", timeout_s=1.0)
    assert result.timed_out and result.limit_hit == "time"
    assert result.duration_s >= 1.0  # not before the limit (how soon after is load-bound)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie waiting for init to reap it is dead


def test_a_sleeping_snippet_is_killed_with_its_children_and_its_output_so_far_kept() -> None:
    code = "import subprocess, time\nprint(subprocess.Popen(['sleep', '30']).pid)\ntime.sleep(30)"
    result = run_python_code(code, timeout_s=1.0)
    assert result.timed_out
    child = int(result.stdout)
    if Path("/proc").is_dir():
        assert not _alive(child)


def test_the_time_limit_asked_for_is_capped_by_the_server() -> None:
    limits = SandboxLimits(max_timeout_s=0.5)
    result = run_python_code("import time\ntime.sleep(5)", limits, timeout_s=100)
    assert result.timed_out  # a 5 s sleep times out only under the 0.5 s cap


def test_a_2gb_allocation_fails_at_the_memory_limit() -> None:
    result = run_python_code("data = bytearray(2 * 1024**3)\nprint('allocated')")
    assert result.exit_code == 1 and "MemoryError" in result.stderr
    assert result.limit_hit == "memory" and "allocated" not in result.stdout


def test_the_memory_limit_is_configurable() -> None:
    code = "data = bytearray(300 * 1024**2)\nprint(len(data))"
    assert run_python_code(code).stdout == f"{300 * 1024**2}\n"
    assert run_python_code(code, SandboxLimits(memory_mb=200)).limit_hit == "memory"


def test_the_child_environment_holds_no_secret_of_the_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "also-secret")
    result = run_python_code("import json, os\nprint(json.dumps(dict(os.environ)))")
    env = json.loads(result.stdout)
    assert "OPENAI_API_KEY" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert "sk-do-not-leak" not in result.stdout
    assert set(env) <= {
        "PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS", "MPLBACKEND",
    }  # fmt: skip


def test_files_land_in_a_fresh_temporary_directory_that_is_removed_afterwards() -> None:
    code = (
        "import os\nprint(os.listdir('.'))\nopen('notes.txt', 'w').write('hello')\n"
        "print(os.path.abspath('notes.txt'))\nprint(os.environ['HOME'] == os.getcwd())"
    )
    result = run_python_code(code)
    listing, written, home_is_cwd = result.stdout.splitlines()
    assert listing == "[]" and home_is_cwd == "True"
    assert Path(written).name == "notes.txt"
    assert Path(written).is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert not Path(written).exists() and not Path(written).parent.exists()


def test_each_call_starts_from_scratch() -> None:
    run_python_code("open('left.txt', 'w').write('x')")
    assert run_python_code("import os\nprint(os.listdir('.'))").stdout == "[]\n"


def test_long_output_is_cut_and_says_so() -> None:
    limits = SandboxLimits(max_output_bytes=1000)
    result = run_python_code("print('x' * 50_000)\nimport sys\nsys.stderr.write('e' * 10)", limits)
    assert result.stdout_truncated and not result.stderr_truncated
    assert result.stdout.startswith("x" * 1000) and "output truncated: 50001 bytes" in result.stdout
    assert result.stderr == "e" * 10


def test_writing_a_file_larger_than_the_limit_fails() -> None:
    limits = SandboxLimits(max_file_mb=1)
    result = run_python_code("open('big', 'wb').write(b'0' * (2 << 20))", limits)
    assert result.exit_code == 1 and result.limit_hit == "file_size"


def test_resource_limits_are_in_force_in_the_snippet() -> None:
    code = (
        "import resource as r\n"
        "for name in ('RLIMIT_AS', 'RLIMIT_NOFILE', 'RLIMIT_FSIZE', 'RLIMIT_CPU'):\n"
        "    print(r.getrlimit(getattr(r, name))[0])"
    )
    limits = SandboxLimits(memory_mb=512, max_open_files=64, max_file_mb=2)
    result = run_python_code(code, limits, timeout_s=3)
    assert result.stdout.split() == [str(512 << 20), "64", str(2 << 20), "4"]


def test_limits_come_from_flags_then_environment_then_defaults() -> None:
    environ = {"MEMENTO_PYTHON_MEMORY_MB": "256", "MEMENTO_PYTHON_TIMEOUT_S": "3"}
    limits = limits_from_args(["--timeout-s", "5"], environ)
    assert (limits.timeout_s, limits.memory_mb, limits.max_processes) == (5.0, 256, 32)
    assert limits_from_args([], {}) == SandboxLimits()
