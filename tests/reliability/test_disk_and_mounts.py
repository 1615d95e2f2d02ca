"""A bank on a small disk or a read-only mount fails with a message, never with SIGBUS.

Qdrant Edge maps its files into memory: writing a mapped page on a full disk kills the
process with SIGBUS. These tests mount a small tmpfs and a read-only bind mount (they need
root's mount permission and are skipped, saying so, without it) and run each check in a child
process, so a SIGBUS would fail the test instead of killing the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from memory import Case, CaseBank, CaseBankError
from memory.care.transfer import export_jsonl, import_jsonl
from tests.endpoints import Reply, Request, loopback_endpoint, tool_call_reply

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


@pytest.fixture
def nearly_full_bank(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """A 20-case bank on a 200 MB tmpfs, its export outside it, and the tmpfs then filled to
    2 MB free: (bank, export, filler file). On tmpfs even reading a mapped hole takes a page,
    so opening such a bank died of SIGBUS (`cases list` with 40 MB free)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=200m", "tmpfs", str(disk))
    try:
        bank_folder, export, filler = disk / "bank", tmp_path / "bank.jsonl", disk / "filler"
        with CaseBank(str(bank_folder), dim=384) as bank:
            for i in range(20):
                case = Case(
                    id="", namespace="default", question=f"What is {i} + {i}?",
                    answer=str(2 * i), reward=1.0, created_at=0, updated_at=0,
                )  # fmt: skip
                bank.add(case, [1.0, float(i)] + [0.0] * 382)
            export_jsonl(bank, export)
        with filler.open("wb") as handle:
            while shutil.disk_usage(disk).free > 2 << 20:
                handle.write(b"\0" * min(1 << 20, shutil.disk_usage(disk).free - (2 << 20)))
        yield bank_folder, export, filler
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _memento(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memento", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _plans_hello(request: Request) -> Reply:
    if "Verdict" in json.dumps(request.body.get("tools", [])):
        return tool_call_reply("Verdict", {"correct": True, "rationale": "ok"})
    return tool_call_reply("Plan", {"steps": [], "final_answer": "hello"})


def test_import_list_and_run_on_a_nearly_full_disk_fail_in_one_line_and_keep_the_bank(
    nearly_full_bank: tuple[Path, Path, Path],
) -> None:
    bank_folder, export, filler = nearly_full_bank
    with loopback_endpoint(_plans_hello) as url:
        commands = [
            ["cases", "import", "--store", str(bank_folder), str(export)],
            ["cases", "list", "--store", str(bank_folder)],
            ["run", "Say hello.", "--store", str(bank_folder), "--base-url", url, "--model", "m"],
        ]
        for command in commands:
            done = _memento(*command, MEMENTO_CHECKPOINTS=str(filler.parent / "cp.sqlite"))
            assert done.returncode == 1, f"{command[:2]} ended {done.returncode}: {done.stderr}"
            (line,) = done.stderr.strip().splitlines()
            assert line.startswith("memento: error: the disk holding the bank at "), line
            assert "MB free; Qdrant Edge needs at least" in line
    filler.unlink()
    with CaseBank(str(bank_folder), dim=None) as bank:
        assert bank.count() == 20


def test_a_run_whose_checkpoints_disk_is_full_fails_in_one_line(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full))
    try:
        (full / "filler").write_bytes(b"\0" * (64 << 10))
        with loopback_endpoint(_plans_hello) as url:
            done = _memento(
                "run", "Say hello.", "--thread", "t1", "--base-url", url, "--model", "m",
                MEMENTO_STORE=str(tmp_path / "bank"),
                MEMENTO_CHECKPOINTS=str(full / "checkpoints.sqlite"),
            )  # fmt: skip
    finally:
        subprocess.run(["umount", str(full)], check=True)
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("memento: error: ") and "disk is full" in line, line
