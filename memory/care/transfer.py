"""Export a bank to JSONL and import it back, exactly: ids, payloads (rewards, attempts, times,
namespaces) and vectors, so a user can back a bank up or move it to another machine or engine.

The first line is a header naming the format and the embedding size; then one line per record:
``{"kind": "cases" | "memories" | "steps", "id": ..., "payload": {...}, "vector": [...]}``
(`memory.care.export_format`): the bank's general memories travel with its cases, and its
credit as steps, a step's state once. An export written before steps (``"visits"`` lines) is
imported as the steps its visits form, merged with those the bank holds.

An import stores all or nothing. It reads the file twice: first a streaming check of every line
(`memory.care.import_check`: each record as the bank would write it, ids against their content
and their namespace, steps and visits against their cases), which names each bad line and its
field and writes nothing; then the writes, journaled (`memory.care.import_journal`), so that a
write that fails by itself (a disk filled meanwhile, an interrupt) is taken back. Checking first
gives the user every bad line at once and `skip_bad`; the journal covers what no check can
foresee.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from memory.bank.casebank import CaseBank
from memory.bank.provenance import untrusted_provenance
from memory.bank.storage import KINDS, LEGACY_KINDS
from memory.care.export_format import (
    FORMAT,
    BadRecord,
    header_line,
    parse_record,
    read_header,
    record_lines,
)
from memory.care.import_check import check_import
from memory.care.import_journal import ImportJournal
from memory.engines.protocol import StoredPoint
from memory.errors import CaseBankError, EmbeddingSizeMismatchError

__all__ = ["FORMAT", "ImportReport", "export_jsonl", "import_jsonl", "output_problem"]

ProgressCallback = Callable[[int, int], None]
"""`on_progress(done, total)`, called as records are written (e.g. a CLI's progress bar)."""
PROGRESS_EVERY = 500
SHOWN_BAD_LINES = 3


def output_problem(path: Path) -> str | None:
    """Why a file cannot be written at `path` (its folder is missing, or it is a folder), in
    the words `cases export` and `cases report` both use; None when it can be tried."""
    if path.is_dir():
        return f"cannot write {path}: it is a folder"
    if not path.parent.is_dir():
        return f"cannot write {path}: there is no folder {path.parent}"
    return None


def export_jsonl(
    bank: CaseBank, path: Path, *, on_progress: ProgressCallback | None = None
) -> tuple[int, int]:
    """Write every case, memory and step to `path` (atomically); returns (cases, steps).

    A missing folder is refused, not made; a failed write leaves no file behind and is one
    CaseBankError naming `path`."""
    if (problem := output_problem(path)) is not None:
        raise CaseBankError(problem)
    counts = dict.fromkeys(KINDS, 0)
    tmp = path.with_name(path.name + ".tmp")
    total = bank.count() + bank.memories.count() + bank.count_steps()
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(header_line(bank.dim))
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
    except OSError as exc:
        raise CaseBankError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)  # a failed export leaves no partial file behind
    return counts["cases"], counts["steps"]


@dataclass
class ImportReport:
    """What an import stored, and the lines it skipped (with `skip_bad`), each with why."""

    cases: int
    visits: int
    """The visits its credit stands for: the cases its steps credit, and its visit lines (an
    export written before steps)."""
    skipped: list[str] = field(default_factory=list)
    memories: int = 0
    steps: int = 0
    """Step records stored as they are (visit lines become steps too, merged, not counted)."""
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
    """Store the records of an export in `bank`, each with its id, payload and vector: all of
    them, or none (see the module docstring).

    A bad line (its field and why) refuses the whole file, or with `skip_bad` only itself and
    the steps (or visits) that credit a refused case; the report lists the skipped lines.
    Cases arrive with provenance "imported" (unverified, `memory.bank.provenance`) unless the
    file is `trusted` (a backup of your own), when they keep theirs; a quarantined case stays
    so. Records with the same id (in the same namespace) replace the bank's own: a step
    replaces the bank's step of that run and cycle whole, while a visit line adds its case.
    """
    dim = read_header(path)
    if dim != bank.dim:
        raise EmbeddingSizeMismatchError(bank.cases_collection, bank.dim, dim)
    checked = check_import(bank, path, dim)
    bad = [f"line {number}: {why}" for number, why in checked.bad.items()]
    if bad and not skip_bad:
        raise CaseBankError(
            f"{path}: {len(bad)} bad records, so nothing was imported (first: "
            f"{'; '.join(bad[:SHOWN_BAD_LINES])}); fix them, or import the rest with --skip-bad"
        )
    _check_free_space(bank, path)
    marked: Counter[str] = Counter()
    records = _records(path, dim, set(checked.bad), trusted, marked)
    counts = _write(bank, _counted(records, checked.good, on_progress))
    return ImportReport(
        counts["cases"],
        counts["credited"] + counts["visits"],
        bad,
        memories=counts["memories"],
        steps=counts["steps"],
        marked_imported=dict(marked),
    )


def _write(bank: CaseBank, records: Iterable[tuple[str, StoredPoint]]) -> dict[str, int]:
    """Store the records in batches through a journal; on any failure, take them back.
    Returns the records stored of each kind, and the visits their steps give ("credited")."""
    counts = dict.fromkeys((*KINDS, *LEGACY_KINDS, "credited"), 0)
    journal = ImportJournal(bank)
    try:
        with bank.bulk_import():
            batch: list[tuple[str, StoredPoint]] = []
            for record in records:
                batch.append(record)
                if len(batch) >= PROGRESS_EVERY:
                    _write_batch(journal, batch, counts)
            _write_batch(journal, batch, counts)
    except BaseException as failure:
        instead = journal.undo(failure)
        if instead is not None:
            raise instead from failure
        raise
    finally:
        journal.close()
    return counts


def _write_batch(
    journal: ImportJournal, batch: list[tuple[str, StoredPoint]], counts: dict[str, int]
) -> None:
    for kind in (*KINDS, *LEGACY_KINDS):
        points = [point for k, point in batch if k == kind]
        if points:
            journal.write(kind, points)
            counts[kind] += len(points)
        if kind == "steps":
            counts["credited"] += sum(len(p.payload["read"] + p.payload["unread"]) for p in points)
    batch.clear()


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


def _records(
    path: Path, dim: int, skip: set[int], trusted: bool, marked: Counter[str]
) -> Iterator[tuple[str, StoredPoint]]:
    """The good records of the file as the bank stores them, untrusted cases marked "imported"
    (counted in `marked` by the provenance they arrived with); a line that changed since the
    check (BadRecord now) ends the import, and the journal takes back what it wrote."""
    with path.open("rb") as handle:
        handle.readline()
        for number, line in record_lines(handle):
            if number in skip:
                continue
            if isinstance(line, BadRecord):
                raise CaseBankError(f"{path}: line {number} changed during the import: {line}")
            try:
                kind, point = parse_record(line, dim)
            except BadRecord as why:
                raise CaseBankError(
                    f"{path}: line {number} changed during the import: {why}"
                ) from None
            if kind == "cases" and not trusted:
                claimed = str(point.payload["provenance"])
                point.payload["provenance"] = untrusted_provenance(claimed)
                if point.payload["provenance"] != claimed:
                    marked[claimed] += 1
            yield kind, point


SPACE_PER_EXPORT_BYTE = 1.5
"""Disk an embedded bank needs per byte of export (vectors, payloads, index), with margin."""


def _check_free_space(bank: CaseBank, path: Path) -> None:
    """Refuse an import that would fill the bank's disk: an embedded engine maps its files
    into memory, and a full disk then kills the process (SIGBUS) instead of raising. What
    the import takes, plus the floor every write keeps."""
    folder = bank.folder
    if folder is None:
        return
    from memory.engines.edge_shards import WRITE_FLOOR_BYTES

    needed = int(path.stat().st_size * SPACE_PER_EXPORT_BYTE) + WRITE_FLOOR_BYTES
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise CaseBankError(
            f"not enough disk space to import {path}: about {needed >> 20} MB needed, "
            f"{free >> 20} MB free at {folder}"
        )
