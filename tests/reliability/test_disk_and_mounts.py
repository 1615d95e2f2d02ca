"""A bank on a small disk or a read-only mount fails with a message, never with SIGBUS.

Qdrant Edge maps its files into memory: writing a mapped page on a full disk kills the
process with SIGBUS. These tests mount a small tmpfs and a read-only bind mount (they need
root's mount permission and are skipped, saying so, without it) and run each check in a child
process, so a SIGBUS would fail the test instead of killing the suite.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from memory import Case, CaseBank, CaseBankError
from memory.care.transfer import export_jsonl, import_jsonl

ROOT = Path(__file__).resolve().parents[2]


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): not checked on this machine")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "small"
    folder.mkdir()
    _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder))
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def _child(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_bank_on_a_disk_too_small_is_refused_with_a_message(small_disk: Path) -> None:
    done = _child(
        "from memory import CaseBank, CaseBankError\n"
        "try:\n"
        f"    CaseBank({str(small_disk / 'bank')!r}, dim=4)\n"
        "except CaseBankError as exc:\n"
        "    print(exc)\n"
    )
    assert done.returncode == 0, f"the child died ({done.returncode}): {done.stderr[-500:]}"
    assert "MB free; Qdrant Edge needs at least" in done.stdout


def test_a_read_only_bank_is_named_as_such(tmp_path: Path) -> None:
    bank_folder, mounted = tmp_path / "bank", tmp_path / "ro"
    with CaseBank(str(bank_folder), dim=4) as bank:
        bank.add(
            Case(id="", namespace="default", question="q", reward=1.0, created_at=0, updated_at=0),
            [1, 0, 0, 0],
        )
    mounted.mkdir()
    _mount("--bind", str(bank_folder), str(mounted))
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], check=True)
        with pytest.raises(CaseBankError, match="cannot be written .* copy the folder"):
            CaseBank(str(mounted), dim=None)
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_an_import_larger_than_the_free_space_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    with CaseBank(str(source), dim=4) as bank:
        for i in range(3):
            case = Case(
                id="", namespace="default", question=f"q{i}", reward=1.0, created_at=0, updated_at=0
            )
            bank.add(case, [1.0, float(i), 0.0, 0.0])
        export_jsonl(bank, tmp_path / "bank.jsonl")
    monkeypatch.setattr("memory.care.transfer.SPACE_PER_EXPORT_BYTE", 1e15)  # as if it were huge
    with CaseBank(str(target), dim=4) as bank:
        with pytest.raises(CaseBankError, match="not enough disk space to import"):
            import_jsonl(bank, tmp_path / "bank.jsonl")
        assert bank.count() == 0
