"""The local server process: its options, and that it never outlives its parent."""

from __future__ import annotations

from memento.llama_server import parse_args


def test_options_default_to_one_thread_the_tools_template_and_a_token_cap() -> None:
    args = parse_args(["--model", "/m/x.gguf", "--port", "8080"])
    assert args.n_threads == 1
    assert args.chat_template == "tools"
    assert args.default_max_tokens == 1024
    assert args.host == "127.0.0.1"


def test_the_server_process_exits_when_its_parent_is_killed(tmp_path) -> None:
    """A parent killed with SIGKILL cannot stop its server: the server must notice and exit."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pid_file = tmp_path / "child.pid"
    child = (
        "import os, time; from memento.llama_server import exit_when_orphaned; "
        f"exit_when_orphaned(os.getppid(), poll_s=0.1); open({str(pid_file)!r}, 'w').write("
        "str(os.getpid())); time.sleep(60)"
    )
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys, time; subprocess.Popen([sys.executable, "
            f"'-c', {child!r}]); time.sleep(60)",
        ],
        cwd=os.getcwd(),
    )
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    child_pid = int(pid_file.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(child_pid, signal.SIGKILL)
    raise AssertionError("the orphaned server process kept running")
