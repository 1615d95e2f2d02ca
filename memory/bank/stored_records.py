"""Reading stored records back into typed ones, where one bad record must not break the rest.

A record can be malformed in the store (written by an old version, edited by hand, imported
before imports were checked). Reading it returns None instead of raising, after one warning, so
the namespace still lists, runs and exports; `memento cases check` reports it by id
(`record_error`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel, ValidationError

from memory.bank.identity import normalize_question
from memory.bank.records import Case, Visit, VisitMatch
from memory.engines.protocol import PackedPayload, StoredPoint, unpacked

_log = logging.getLogger(__name__)
_warned: set[str] = set()


def record_error(model: type[BaseModel], payload: dict[str, Any] | None) -> str | None:
    """Why a stored payload is not a valid record of `model` (one line), or None if it is."""
    try:
        model.model_validate(_fields(payload))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        return f"field {where!r}: {first['msg']} (got {first.get('input')!r:.60})"
    return None


def case_from_payload(point_id: str, payload: dict[str, Any] | PackedPayload | None) -> Case | None:
    """The case a stored payload holds, or None (warned once) if it does not parse.

    A payload read again as the very same object (a small bank's in-memory copy hands out the
    text it holds, `memory.engines.exact_copy`) gives the case parsed the first time: a stored case
    is never changed in place (an upsert stores a new payload), so neither may its reader change it.
    """
    held = _parsed_cases.get(point_id)
    if held is not None and held[0] is payload:
        return held[1]
    case = _read(Case, point_id, payload)
    if case is not None and payload is not None:
        with _parsed_lock:
            if len(_parsed_cases) >= PARSED_CASES:
                del _parsed_cases[next(iter(_parsed_cases))]  # the oldest parsed
            _parsed_cases[point_id] = (payload, case)
    return case


PARSED_CASES = 16_384
"""Parsed cases kept: every case of a 10k bank stays parsed (parsing one costs ~8 us, a third
of a retrieve's time at 10k when its candidates missed), at ~1.8 KB each beside the payload
(tracemalloc, the benchmarks' cases): ~30 MB when full."""
_parsed_cases: dict[str, tuple[dict[str, Any] | PackedPayload, Case]] = {}
_parsed_lock = threading.Lock()


def visit_from_payload(point_id: str, payload: dict[str, Any] | None) -> Visit | None:
    """The visit a stored payload holds, or None (warned once) if it does not parse."""
    return _read(Visit, point_id, payload)


def visit_match(point_id: str, payload: dict[str, Any], cosine: float) -> VisitMatch | None:
    """What kernel Q needs of a stored visit near a state, or None if it does not parse.

    Called for every visit a retrieve reads, so it validates its five fields directly.
    """
    fields = {
        "case_id": payload.get("case_id"),
        "target": payload.get("target"),
        "cosine": cosine,
        "retrieved": payload.get("retrieved", True),
        "created_at": payload.get("created_at", 0.0),
    }
    try:
        return _VISIT_MATCH.validate_python(fields)
    except ValidationError:
        return _read(VisitMatch, point_id, fields)


_VISIT_MATCH = VisitMatch.__pydantic_validator__


class VisitColumns(NamedTuple):
    """Visits near a state as columns: what kernel Q sums, and when each visit was made (for
    the age of evidence). `groups`, where known, is each visit's case as a position in the
    (distinct) case ids asked for."""

    case_ids: list[str]
    cosines: np.ndarray
    targets: np.ndarray
    times: np.ndarray
    groups: np.ndarray | None = None


def visit_numbers(payload: dict[str, Any]) -> tuple[float, float] | None:
    """(target, time) of a well-typed visit payload, the one `visit_columns` takes as it is;
    None for any other (read through `visit_match` instead)."""
    case_id, target, time = payload.get("case_id"), payload.get("target"), payload.get("created_at")
    typed = type(target) in (float, int) and type(time) in (float, int)
    if type(case_id) is str and typed and type(payload.get("retrieved", True)) is bool:
        return float(target), float(time)  # type: ignore[arg-type]
    return None


def visit_columns(hits: Iterable[tuple[dict[str, Any], float]]) -> VisitColumns:
    """The columns of the visits that `visit_match` accepts, read without a record each: a
    well-typed payload is taken as it is, any other goes through `visit_match` (and is
    skipped, warned once, if it does not parse)."""
    case_ids: list[str] = []
    cosines: list[float] = []
    numbers: list[tuple[float, float]] = []
    for payload, cosine in hits:
        case_id, read = payload.get("case_id"), visit_numbers(payload)
        if read is None:
            found = visit_match(str(case_id), payload, cosine)
            if found is None:
                continue
            case_id, read = found.case_id, (found.target, found.created_at)
        case_ids.append(case_id)
        cosines.append(cosine)
        numbers.append(read)
    columns = np.array(numbers, dtype=np.float64).reshape(-1, 2)
    return VisitColumns(case_ids, np.array(cosines, dtype=np.float64), columns[:, 0], columns[:, 1])


def _read(model: type[Any], point_id: str, payload: dict[str, Any] | PackedPayload | None) -> Any:
    """The record, parsed straight from its JSON text where it is packed (3 us a case, where
    reading the text into a dict first and validating that took 6)."""
    try:
        if isinstance(payload, str):
            return model.model_validate_json(payload)  # extra keys (question_key) ignored
        return model.model_validate(_fields(payload))
    except ValidationError:
        if point_id not in _warned:
            _warned.add(point_id)
            error = record_error(model, unpacked(payload))
            _log.warning("skipping stored record %s, which does not parse: %s", point_id, error)
        return None


def _fields(payload: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (payload or {}).items() if k != "question_key"}


def case_point(case: Case) -> StoredPoint:
    """A case as stored, with the normalized question filters match (`exclude_question`)."""
    payload = case.model_dump()
    payload["question_key"] = normalize_question(case.question)
    return StoredPoint(id=case.id, payload=payload)


def visit_point(visit: Visit) -> StoredPoint:
    """A visit as stored, its time to the microsecond (`stored_time`)."""
    payload = visit.model_dump()
    payload["created_at"] = stored_time(visit.created_at)
    return StoredPoint(id=visit.id, payload=payload)


def stored_time(seconds: float) -> float:
    """A time to the microsecond, a float every engine stores and gives back exactly.

    Qdrant Edge 0.9 reads some 17-digit floats back one unit in the last place off (about 12%
    of raw `time.time()` values); a value with at most 16 significant digits comes back exact.
    """
    return round(seconds, 6)
