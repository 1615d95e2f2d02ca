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
from memory.bank.steps import Step, step_numbers
from memory.engines.protocol import GroupHit, PackedPayload, StoredPoint, unpacked

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


def step_from_payload(point_id: str, payload: dict[str, Any] | None) -> Step | None:
    """The step a stored payload holds, or None (warned once) if it does not parse."""
    return _read(Step, point_id, payload)


def visit_matches(hits: Iterable[GroupHit], *, retrieved: bool) -> list[VisitMatch]:
    """The visits a search of steps found near a state (one per case a step credits)."""
    columns = visit_columns(hits)
    return [
        VisitMatch(case_id=c, target=t, cosine=k, retrieved=retrieved, created_at=when)
        for c, k, t, when in zip(
            columns.case_ids,
            columns.cosines.tolist(),
            columns.targets.tolist(),
            columns.times.tolist(),
            strict=True,
        )
    ]


class VisitColumns(NamedTuple):
    """Visits near a state as columns: what kernel Q sums, and when each visit was made (for
    the age of evidence). `groups`, where known, is each visit's case as a position in the
    (distinct) case ids asked for."""

    case_ids: list[str]
    cosines: np.ndarray
    targets: np.ndarray
    times: np.ndarray
    groups: np.ndarray | None = None


def visit_columns(hits: Iterable[GroupHit]) -> VisitColumns:
    """The columns of the visits steps found near a state give their cases (`hit.group`): a
    step whose payload does not hold a number target and time is skipped, warned once."""
    case_ids: list[str] = []
    cosines: list[float] = []
    numbers: list[tuple[float, float]] = []
    for hit in hits:
        read = step_numbers(hit.payload)
        if read is None:
            step_id = str(hit.payload.get("id"))
            if step_id not in _warned:
                _warned.add(step_id)
                _log.warning(
                    "skipping stored step %s, which has no number target and time", step_id
                )
            continue
        case_ids.append(hit.group)
        cosines.append(hit.score)
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
