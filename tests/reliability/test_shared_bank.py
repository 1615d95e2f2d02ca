"""One embedded bank, many processes of one machine: the holder serves it, the others find it.

Real processes throughout: a holder script, `memento cases list|check` as a user types them,
two writers at once, a holder killed while another process uses the bank. See
`memory.engines.sharing`.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from multiprocessing.connection import AuthenticationError, Client
from pathlib import Path

import pytest

from memory import Case, CaseBank
from memory.engines.sharing import SERVING_FILE, read_serving

ROOT = Path(__file__).resolve().parents[2]
DIM = 8

# A process that holds a bank: adds `count` cases, says so, and waits for its stdin to close.
HOLDER = """
import sys, time
from memory import Case, CaseBank
bank = CaseBank(sys.argv[1], dim=8)
now = time.time()
for i in range(int(sys.argv[2])):
    case = Case(id='', namespace='ns', question=f'held {i}', reward=1.0, created_at=now,
                updated_at=now)
    bank.add(case, [float(i % 8 == j) + 0.1 for j in range(8)])
print('holding', flush=True)
sys.stdin.read()
bank.close()
"""

# A process that writes `count` cases named after `tag`, with one visit each.
WRITER = """
import sys, time, uuid
from memory import Case, CaseBank, Visit
tag, count = sys.argv[2], int(sys.argv[3])
with CaseBank(sys.argv[1], dim=8) as bank:
    for i in range(count):
        now = time.time()
        case = Case(id='', namespace='ns', question=f'{tag} {i}', reward=1.0, created_at=now,
                    updated_at=now)
        vector = [float(i % 8 == j) + 0.1 for j in range(8)]
        stored = bank.add(case, vector)
        visit = Visit(id=str(uuid.uuid4()), namespace='ns', case_id=stored.id, target=1.0,
                      run_id=f'{tag}-{i}', created_at=now)
        bank.add_visits([(visit, vector)])
print(type(bank._store).__name__)
"""


def _python(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        text=True,
        env=_env(),
        **kwargs,  # type: ignore[call-overload]
    )


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, as the test process runs
    env.pop("MEMENTO_SHARE_BANK", None)
    return env


def _memento(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "memento", *args], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def _hold(store: Path, cases: int) -> subprocess.Popen[str]:
    holder = _python("-c", HOLDER, str(store), str(cases), stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_the_cli_lists_the_cases_of_a_bank_another_process_holds(tmp_path: Path) -> None:
    store = tmp_path / "bank"
    holder = _hold(store, 3)
    try:
        listed = _memento("cases", "list", "--store", str(store), "--namespace", "ns")
        checked = _memento("cases", "check", "--store", str(store), "--all-namespaces")
        serving = read_serving(store)
        mode = stat.S_IMODE((store / SERVING_FILE).stat().st_mode)
    finally:
        holder.communicate("", timeout=30)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("3 cases in namespace 'ns'"), listed.stdout
    assert all(f"held {i}" in listed.stdout for i in range(3))
    assert checked.returncode == 0 and checked.stdout.splitlines()[-1] == "ok", checked.stdout
    assert serving is not None and serving.pid == holder.pid and mode == 0o600
    assert holder.returncode == 0
    assert not (store / SERVING_FILE).exists()  # the holder withdrew it when it closed


def test_two_processes_write_to_one_bank_and_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path / "bank"
    CaseBank(str(store), dim=DIM).close()
    writers = [
        _python("-c", WRITER, str(store), tag, "40", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for tag in ("left", "right")
    ]
    outputs = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], outputs
    checked = _memento("cases", "check", "--store", str(store), "--all-namespaces")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines() == ["80 cases, 80 visits (80 steps) in all namespaces", "ok"]
    with CaseBank(str(store), dim=None) as bank:
        questions = {c.question for c in bank.list_cases(namespace="ns", limit=100)}
    assert questions == {f"{tag} {i}" for tag in ("left", "right") for i in range(40)}


def test_a_holder_killed_midway_leaves_the_bank_to_the_process_using_it(tmp_path: Path) -> None:
    store = tmp_path / "bank"
    holder = _hold(store, 2)
    now = time.time()

    def case(question: str) -> Case:
        return Case(id="", namespace="ns", question=question, reward=1.0, created_at=now,
                    updated_at=now)  # fmt: skip

    with CaseBank(str(store), dim=DIM) as bank:
        assert type(bank._store).__name__ == "RemoteStore"
        bank.add(case("before"), [1.0] * DIM)
        holder.send_signal(signal.SIGKILL)  # no close, no withdrawal: a crash
        holder.wait(timeout=30)
        assert read_serving(store).pid == holder.pid  # stale: its pid is dead
        started = time.monotonic()
        bank.add(case("after"), [1.0] * DIM)  # finds no holder: holds the bank itself
        assert time.monotonic() - started < 10
        assert bank.count(namespace="ns") == 4
        assert read_serving(store).pid == os.getpid()
    checked = _memento("cases", "check", "--store", str(store), "--all-namespaces")
    assert checked.returncode == 0 and checked.stdout.splitlines()[-1] == "ok", checked.stdout
    with CaseBank(str(store), dim=None) as bank:
        questions = {c.question for c in bank.list_cases(namespace="ns", limit=10)}
    assert questions == {"held 0", "held 1", "before", "after"}


def test_a_holder_that_closes_hands_the_bank_to_the_next_process(tmp_path: Path) -> None:
    store = tmp_path / "bank"
    holder = _hold(store, 1)
    with CaseBank(str(store), dim=DIM) as bank:
        holder.communicate("", timeout=30)  # closes the bank and exits
        second = _hold(store, 0)  # a new holder came first
        try:
            assert bank.count(namespace="ns") == 1  # reached through the new holder
            assert bank._store.holder_pid == second.pid
        finally:
            second.communicate("", timeout=30)


def test_a_connection_without_the_key_is_refused_before_anything_is_read(
    tmp_path: Path,
) -> None:
    store = tmp_path / "bank"
    with CaseBank(str(store), dim=DIM) as bank:
        bank.add(Case(id="", namespace="ns", question="q", reward=1.0, created_at=1.0,
                      updated_at=1.0), [1.0] * DIM)  # fmt: skip
        serving = read_serving(store)
        assert serving is not None
        assert json.loads((store / SERVING_FILE).read_text())["pid"] == os.getpid()
        with pytest.raises((AuthenticationError, EOFError, ConnectionError)):
            Client(("127.0.0.1", serving.port), family="AF_INET", authkey=b"not the key")
        with CaseBank(str(store), dim=DIM) as second:  # the holder still serves
            assert second.count(namespace="ns") == 1
