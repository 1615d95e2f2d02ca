"""SIGKILL in the middle of writing never corrupts the bank or loses a write reported done."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memory import CaseBank
from memory.care.integrity import check_bank

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20


def _run_and_kill(store: str, start: int, rng: random.Random) -> list[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.writer_child", store, str(start)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # the bank is open and writing
    assert first.startswith("done "), f"the writer did not start: {first!r}"
    time.sleep(rng.uniform(0.0, 0.4))  # then die at a random moment, mid-write or not
    os.kill(child.pid, signal.SIGKILL)
    rest = child.stdout.read()
    child.wait()
    return [line.split()[1] for line in [first, *rest.splitlines()] if line.startswith("done ")]


@pytest.mark.integration
def test_a_bank_survives_twenty_kills_with_every_reported_write(tmp_path: Path) -> None:
    store = str(tmp_path / "bank")
    rng = random.Random(7)
    reported: list[str] = []
    for attempt in range(KILLS):
        reported += _run_and_kill(store, start=attempt * 100_000, rng=rng)
        with CaseBank(store, dim=None) as bank:
            report = check_bank(bank)
            assert report.ok, f"after kill {attempt + 1}: {report.problems}"
            stored = {case.id for case in bank.list_cases(namespace="crash")}
        missing = [case_id for case_id in reported if case_id not in stored]
        assert not missing, f"after kill {attempt + 1}: {len(missing)} reported writes lost"
    assert len(reported) > KILLS
