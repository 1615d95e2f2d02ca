"""Export a bank to JSONL and import it back, exactly: ids, payloads (rewards, attempts, times,
namespaces) and vectors, so a user can back a bank up or move it to another machine or engine.

The first line is a header naming the format and the embedding size; then one line per record:
``{"kind": "cases" | "visits", "id": ..., "payload": {...}, "vector": [...]}``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from memory.casebank import CaseBank
from memory.errors import CaseBankError, EmbeddingSizeMismatchError
from memory.store import StoredPoint

FORMAT = "memento-bank/1"


def export_jsonl(bank: CaseBank, path: Path) -> tuple[int, int]:
    """Write every case and visit to `path` (atomically); returns (cases, visits)."""
    counts = {"cases": 0, "visits": 0}
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps({"format": FORMAT, "dim": bank.dim}) + "\n")
            for kind, point in bank.stored_points():
                record = {
                    "kind": kind,
                    "id": point.id,
                    "payload": point.payload,
                    "vector": point.vector,
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                counts[kind] += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed export leaves no partial file behind
        raise
    return counts["cases"], counts["visits"]


def import_jsonl(bank: CaseBank, path: Path) -> tuple[int, int]:
    """Store every record of an export in `bank` as it was; returns (cases, visits).

    A malformed line is an error naming the line; an export of another embedding size is
    refused with both sizes named. Records with the same id replace the bank's own.
    """
    _check_free_space(bank, path)
    with path.open(encoding="utf-8") as handle:
        header = _header(path, handle.readline())
        if header["dim"] != bank.dim:
            raise EmbeddingSizeMismatchError(bank.cases_collection, bank.dim, header["dim"])
        with bank.bulk_import():
            return bank.put_points(_records(path, handle))


SPACE_PER_EXPORT_BYTE = 1.5
"""Disk an embedded bank needs per byte of export (vectors, payloads, index), with margin."""


def _check_free_space(bank: CaseBank, path: Path) -> None:
    """Refuse an import that would fill the bank's disk: an embedded engine maps its files
    into memory, and a full disk then kills the process (SIGBUS) instead of raising."""
    folder = bank.folder
    if folder is None:
        return
    needed = int(path.stat().st_size * SPACE_PER_EXPORT_BYTE)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise CaseBankError(
            f"not enough disk space to import {path}: about {needed >> 20} MB needed, "
            f"{free >> 20} MB free at {folder}"
        )


def _header(path: Path, line: str) -> dict:
    try:
        header = json.loads(line)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CaseBankError(f"{path}: line 1 is not a {FORMAT} export header")
    return header


def _records(path: Path, lines: Iterator[str]) -> Iterator[tuple[str, StoredPoint]]:
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            kind = record["kind"]
            if kind not in ("cases", "visits"):
                raise ValueError(f"unknown kind {kind!r}")
            point = StoredPoint(str(record["id"]), dict(record["payload"]), list(record["vector"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CaseBankError(f"{path}: line {number} is not a bank record: {exc}") from exc
        yield kind, point
