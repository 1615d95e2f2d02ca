"""The export file, line by line: its header, its lines, and what one record must be to be stored.

An export is JSONL: a header ``{"format": "memento-bank/1", "dim": N}``, then one record a line,
``{"kind": "cases" | "memories" | "steps", "id": ..., "payload": {...}, "vector": [...]}``: a
step's payload is its `memory.bank.steps.Step` fields, its vector the state, once. Exports
written before steps hold ``"visits"`` lines (one per case a step read, each with its own copy
of the state) instead; they are still read, and stored as the steps they form.

The header stays `memento-bank/1`: the line format is unchanged, "steps" is a new kind of
record in it. A version before steps reading a new export refuses each "steps" line by itself,
naming its field 'kind' (with `--skip-bad` it imports the cases and memories, without their
credit); a new header would instead refuse the whole file as "not a file `memento cases
export` wrote", which says less.

An import reads files a user names, which may be anything (another file, a hand edit, a
hostile file), so every way a line can be wrong is refused here with one line naming the line
and the field, never a traceback, and a record is taken only as the bank itself would have
written it: typed fields (no coercion), finite numbers, a UUID id equal to its payload's, a
vector of the bank's size, a namespace that follows the rule, a case within the bank's size cap
whose id is the one its namespace, question and outcome give
(`memory.bank.identity.content_ids`), a general memory within its cap whose id is the one its
namespace, key and value give (`memory.bank.memory_items`), a step within its cap whose id is
the one its namespace, run and cycle give (`memory.bank.steps.step_id`) and whose cases are
UUIDs, each named once. What needs the whole file or the bank (namespaces across records,
orphan credit) is `import_check`'s.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from pydantic import BaseModel, ValidationError

from memory.bank.identity import content_ids, normalize_question
from memory.bank.limits import MAX_CASE_BYTES
from memory.bank.memory_items import (
    MAX_KEY_CHARS,
    MAX_MEMORY_BYTES,
    MemoryItem,
    memory_id_for,
    memory_point,
)
from memory.bank.namespaces import NAMESPACE_RULE, is_valid_namespace
from memory.bank.records import Case, Visit
from memory.bank.steps import Step, step_id
from memory.bank.stored_records import stored_time
from memory.engines.protocol import StoredPoint
from memory.errors import CaseBankError

FORMAT = "memento-bank/1"
Record = Case | MemoryItem | Step | Visit
MODELS: dict[str, type[Record]] = {
    "cases": Case,
    "memories": MemoryItem,
    "steps": Step,
    "visits": Visit,  # exports written before steps
}
MAX_LINE_BYTES = 4 << 20
"""A record's line at most: a case within its cap and a vector of MAX_DIM numbers fit."""
MAX_DIM = 65_536
"""The largest embedding size an export may declare (Qdrant's own limit)."""
MAX_VISIT_BYTES = 8_192
MAX_STEP_BYTES = 262_144
"""A step's JSON at most: its fields and ~6,500 case ids, far more than a retrieval reads and
scores in one step."""
_FINITE = {
    "cases": ("reward", "created_at", "updated_at"),
    "memories": ("created_at", "updated_at"),
    "steps": ("target", "created_at"),
    "visits": ("target", "created_at"),
}


class BadRecord(ValueError):
    """One line that cannot be imported; the message names the field and why."""


def header_line(dim: int) -> str:
    return json.dumps({"format": FORMAT, "dim": dim}) + "\n"


def read_header(path: Path) -> int:
    """The embedding size `path` declares; CaseBankError, in one line, for a file that is
    missing, unreadable or not an export."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(MAX_LINE_BYTES)
    except FileNotFoundError:
        raise CaseBankError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CaseBankError(f"{path} is a folder, not an export file") from None
    except OSError as exc:
        raise CaseBankError(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        header = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CaseBankError(
            f"{path}: line 1 is not a {FORMAT} header: not a file `memento cases export` wrote"
        )
    dim = header.get("dim")
    if type(dim) is not int or not 1 <= dim <= MAX_DIM:
        raise CaseBankError(
            f"{path}: line 1: field 'dim' must be a whole number from 1 to {MAX_DIM}, "
            f"got {dim!r:.40}"
        )
    return dim


def record_lines(handle: BinaryIO) -> Iterator[tuple[int, str | BadRecord]]:
    """(line number, text) of each record line after the header, or (number, BadRecord) for a
    line too long or not UTF-8; blank lines are skipped. Memory stays within MAX_LINE_BYTES."""
    number = 1
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, BadRecord(f"longer than {MAX_LINE_BYTES >> 20} MB")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, BadRecord(f"not UTF-8 text (byte {exc.start + 1})")
            continue
        if text.strip():
            yield number, text


def parse_record(text: str, dim: int) -> tuple[str, StoredPoint]:
    """One record line as (kind, point) with its payload as the bank stores it (typed, the
    question's key recomputed); BadRecord names the first field that is wrong."""
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise BadRecord(f"not JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(record, dict):
        raise BadRecord("not a record: a JSON object with kind, id, payload and vector")
    kind, record_id, payload = record.get("kind"), record.get("id"), record.get("payload")
    if kind not in MODELS:
        raise BadRecord(f"field 'kind': must be one of {', '.join(MODELS)}, got {kind!r:.40}")
    if not _is_uuid(record_id):
        raise BadRecord(f"field 'id': must be a UUID in its usual form, got {record_id!r:.60}")
    if not isinstance(payload, dict):
        raise BadRecord("field 'payload': must be a JSON object")
    if payload.get("id") != record_id:
        raise BadRecord(
            f"field 'id': the payload's id {payload.get('id')!r:.60} differs from the "
            f"record's {record_id}"
        )
    vector = record.get("vector")
    if not isinstance(vector, list) or len(vector) != dim or not _finite_numbers(vector):
        raise BadRecord(f"field 'vector': must be {dim} finite numbers")
    model = _validated(MODELS[kind], payload)
    _check_fields(kind, model)
    if isinstance(model, MemoryItem):
        return kind, StoredPoint(record_id, memory_point(model).payload, [float(x) for x in vector])
    stored = model.model_dump()
    if isinstance(model, Case):
        stored["question_key"] = normalize_question(model.question)
    if isinstance(model, Step):
        stored["created_at"] = stored_time(model.created_at)  # as `StepRecords` stores it
    return kind, StoredPoint(record_id, stored, [float(x) for x in vector])


def _validated(model: type[Record], payload: dict[str, Any]) -> Record:
    derived = ("question_key", "expiring", "unindexed")  # what the bank adds to a payload
    fields = {k: v for k, v in payload.items() if k not in derived}
    try:
        return model.model_validate(fields, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        got = f" (got {first['input']!r:.60})" if "input" in first else ""
        raise BadRecord(f"field {where!r}: {first['msg']}{got}") from None


def _check_fields(kind: str, record: BaseModel) -> None:
    """What the record types allow but the bank never writes: NaN, a reward outside [0, 1],
    a bad namespace, an oversized record, a case id its content does not give."""
    for name in _FINITE[kind]:
        if not math.isfinite(getattr(record, name)):
            raise BadRecord(f"field {name!r}: must be a finite number, got {getattr(record, name)}")
    namespace = getattr(record, "namespace", None)
    if not is_valid_namespace(namespace):
        raise BadRecord(f"field 'namespace': {namespace!r:.60} is not allowed: {NAMESPACE_RULE}")
    size = len(record.model_dump_json().encode())
    if isinstance(record, Visit):
        if not _is_uuid(record.case_id):
            raise BadRecord(f"field 'case_id': must be a case's UUID, got {record.case_id!r:.60}")
        if size > MAX_VISIT_BYTES:
            raise BadRecord(f"the visit is {size} bytes, over the {MAX_VISIT_BYTES} a visit takes")
        return
    if isinstance(record, MemoryItem):
        _check_memory(record, size)
        return
    if isinstance(record, Step):
        _check_step(record, size)
        return
    assert isinstance(record, Case)
    if not 0.0 <= record.reward <= 1.0:
        raise BadRecord(f"field 'reward': must be from 0 to 1, got {record.reward}")
    if size > MAX_CASE_BYTES:
        raise BadRecord(f"the case is {size} bytes, over the bank's cap of {MAX_CASE_BYTES}")
    if record.id not in content_ids(record):
        raise BadRecord(
            f"field 'id': {record.id} is not the id of this case's namespace, question and "
            f"outcome ({content_ids(record)[0]}): the record was edited, or belongs to "
            "another namespace"
        )


def _check_memory(record: MemoryItem, size: int) -> None:
    if not record.key or len(record.key) > MAX_KEY_CHARS:
        raise BadRecord(f"field 'key': must be 1 to {MAX_KEY_CHARS} characters")
    if size > MAX_MEMORY_BYTES + 2 * MAX_KEY_CHARS + 1_000:  # the value's cap and the fields
        raise BadRecord(f"the memory is {size} bytes, over the bank's cap of {MAX_MEMORY_BYTES}")
    if record.id != (own := memory_id_for(record.namespace, record.key, record.value)):
        raise BadRecord(
            f"field 'id': {record.id} is not the id of this memory's namespace, key and value "
            f"({own}): the record was edited, or belongs to another namespace"
        )


def _check_step(record: Step, size: int) -> None:
    for name in ("read", "unread"):
        cases: list[str] = getattr(record, name)
        if bad := next((c for c in cases if not _is_uuid(c)), None):
            raise BadRecord(f"field {name!r}: must hold cases' UUIDs, got {bad!r:.60}")
        if len(set(cases)) != len(cases):
            raise BadRecord(f"field {name!r}: names a case twice")
    if not record.read and not record.unread:
        raise BadRecord("fields 'read' and 'unread': a step credits at least one case")
    if size > MAX_STEP_BYTES:
        raise BadRecord(f"the step is {size} bytes, over the {MAX_STEP_BYTES} a step takes")
    if record.id != (own := step_id(record.namespace, record.run_id, record.cycle)):
        raise BadRecord(
            f"field 'id': {record.id} is not the id of this step's namespace, run and cycle "
            f"({own}): the record was edited, or belongs to another namespace"
        )


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _finite_numbers(values: list[object]) -> bool:
    """Whether every value is an int or float (not a bool) and finite; at C speed, since a
    vector has hundreds of them and an import millions."""
    if not set(map(type, values)) <= {float, int}:
        return False
    try:
        return bool(np.isfinite(np.asarray(values, dtype=np.float64)).all())
    except OverflowError:  # an int past any float
        return False
