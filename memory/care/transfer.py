"""Export a bank to JSONL and import it back, exactly: ids, payloads (rewards, attempts, times,
namespaces) and vectors, so a user can back a bank up or move it to another machine or engine.

The first line is a header naming the format and the embedding size; then one line per record:
``{"kind": "cases" | "visits", "id": ..., "payload": {...}, "vector": [...]}``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from memory.bank.casebank import CaseBank
from memory.bank.namespaces import is_valid_namespace
from memory.bank.records import Case, Visit
from memory.bank.stored_records import record_error
from memory.engines.protocol import StoredPoint
from memory.errors import CaseBankError, EmbeddingSizeMismatchError

FORMAT = "memento-bank/1"
_MODELS: dict[str, type[Case] | type[Visit]] = {"cases": Case, "visits": Visit}

ProgressCallback = Callable[[int, int], None]
"""`on_progress(done, total)`, called as records are written (e.g. a CLI's progress bar)."""
PROGRESS_EVERY = 500


def export_jsonl(
    bank: CaseBank, path: Path, *, on_progress: ProgressCallback | None = None
) -> tuple[int, int]:
    """Write every case and visit to `path` (atomically); returns (cases, visits)."""
    counts = {"cases": 0, "visits": 0}
    tmp = path.with_name(path.name + ".tmp")
    total = bank.count() + bank.count_visits()
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps({"format": FORMAT, "dim": bank.dim}) + "\n")
            for kind, point in _counted(bank.stored_points(), total, on_progress):
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


@dataclass
class ImportReport:
    """What an import stored, and the lines it skipped (with `skip_bad`), each with why."""

    cases: int
    visits: int
    skipped: list[str] = field(default_factory=list)
    marked_imported: dict[str, int] = field(default_factory=dict)
    """Cases stored as "imported" (not `trusted`), by the provenance they arrived with: a
    caller says so, since a person's relabel is among what an untrusted import overrules."""


def import_jsonl(
    bank: CaseBank,
    path: Path,
    *,
    trusted: bool = False,
    skip_bad: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Store the records of an export in `bank`, each with its id, payload and vector.

    Every line is checked first (its structure, its vector's size, its payload against the
    record types and the namespace rule), so a bad record is never written: the import stores
    all or nothing, or with `skip_bad` everything but the bad lines, which the report lists.
    Cases arrive with provenance "imported" (unverified, `memory.bank.provenance`) unless the file
    is `trusted` (a backup of your own), when they keep theirs; a quarantined case stays so.
    Records with the same id replace the bank's own.
    """
    _check_free_space(bank, path)
    with path.open(encoding="utf-8") as handle:
        header = _header(path, handle.readline())
        if header["dim"] != bank.dim:
            raise EmbeddingSizeMismatchError(bank.cases_collection, bank.dim, header["dim"])
        lines = _Lines(handle)
        bad = dict(_problems(lines, bank.dim))
    if bad and not skip_bad:
        first = "; ".join(f"line {n}: {why}" for n, why in list(bad.items())[:3])
        raise CaseBankError(
            f"{path}: {len(bad)} bad records, so nothing was imported (first: {first}); "
            "fix them, or import the rest with --skip-bad"
        )
    with path.open(encoding="utf-8") as handle:
        handle.readline()
        marked: Counter[str] = Counter()
        records = _records(handle, bank.dim, set(bad), trusted=trusted, marked=marked)
        total = lines.records - len(bad)
        with bank.bulk_import():
            cases, visits = bank.put_points(_counted(records, total, on_progress))
    skipped = [f"line {n}: {why}" for n, why in bad.items()]
    return ImportReport(cases, visits, skipped, dict(marked))


def _counted(
    points: Iterable[tuple[str, StoredPoint]], total: int, on_progress: ProgressCallback | None
) -> Iterator[tuple[str, StoredPoint]]:
    """The records, reporting (done, total) every PROGRESS_EVERY of them and at the end."""
    done = 0
    for point in points:
        yield point
        done += 1
        if on_progress is not None and done % PROGRESS_EVERY == 0:
            on_progress(done, max(total, done))
    if on_progress is not None:
        on_progress(done, max(total, done))


class _Lines:
    """The lines of an export, counting the non-blank ones (the records) as they are read."""

    def __init__(self, handle: Iterable[str]) -> None:
        self.handle = handle
        self.records = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.handle:
            self.records += bool(line.strip())
            yield line


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


def _problems(lines: Iterator[str], dim: int) -> Iterator[tuple[int, str]]:
    """(line number, why) for every line that is not a record this bank can hold."""
    for number, line in enumerate(lines, start=2):
        if line.strip():
            try:
                _parse(line, dim)
            except ValueError as exc:
                yield number, str(exc)


def _records(
    lines: Iterator[str], dim: int, skip: set[int], *, trusted: bool, marked: Counter[str]
) -> Iterator[tuple[str, StoredPoint]]:
    """The records to store; untrusted cases marked "imported", counted in `marked` by the
    provenance they arrived with."""
    for number, line in enumerate(lines, start=2):
        if line.strip() and number not in skip:
            kind, point = _parse(line, dim)
            if kind == "cases" and not trusted and point.payload.get("provenance") != "quarantined":
                marked[str(point.payload.get("provenance", "unknown"))] += 1
                point.payload["provenance"] = "imported"
            yield kind, point


def _parse(line: str, dim: int) -> tuple[str, StoredPoint]:
    """One export line as a record; ValueError says what is wrong with it."""
    try:
        record = json.loads(line)
        kind = record["kind"]
        point = StoredPoint(str(record["id"]), dict(record["payload"]), list(record["vector"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a bank record: {exc}") from None
    if kind not in _MODELS:
        raise ValueError(f"unknown kind {kind!r}")
    vector = point.vector or []
    if len(vector) != dim or not all(
        isinstance(x, int | float) and math.isfinite(x) for x in vector
    ):
        raise ValueError(f"the vector is not {dim} finite numbers")
    if error := record_error(_MODELS[kind], point.payload):
        raise ValueError(error)
    if not is_valid_namespace(point.payload.get("namespace")):
        raise ValueError(f"namespace {point.payload.get('namespace')!r} is not allowed")
    return kind, point
