"""A case belongs to one namespace: no record of another namespace may name it.

A visit credits a case with what a run in the visit's namespace earned. Credit written in one
namespace for a case of another would move the other namespace's Q (one user's runs steering
another's retrieval) and let a run show one user's case to another: e.g. a thread started by
bob, resumed as alice, whose `update_q` credited bob's case in alice's namespace. The bank's
write of visits checks every case id against the namespace its case lives in, so no path (the
graph, the agent middleware, the MCP server, bank care) can store such a visit; `cases check`
reports any stored before the rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from memory.bank.records import Visit
from memory.engines.protocol import StoredPoint, unpacked
from memory.errors import CrossNamespaceError


def is_point_id(value: object) -> bool:
    """Whether `value` could name a stored record (a point id is a UUID; an engine refuses to
    look up anything else)."""
    try:
        uuid.UUID(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def storable_ids(case_ids: Iterable[str]) -> list[str]:
    """The distinct ids that could name a stored case (`is_point_id`)."""
    return [case_id for case_id in dict.fromkeys(case_ids) if is_point_id(case_id)]


def case_namespaces(points: Iterable[StoredPoint]) -> dict[str, str]:
    """Case id -> the namespace it is stored in, for stored cases."""
    return {p.id: str((unpacked(p.payload) or {}).get("namespace")) for p in points}


def foreign_visits(visits: Iterable[Visit], owners: Mapping[str, str]) -> list[tuple[Visit, str]]:
    """Each visit naming a stored case of another namespace, with that case's namespace.
    (A visit whose case is not stored is an orphan, not a crossing.)"""
    return [
        (visit, owners[visit.case_id])
        for visit in visits
        if visit.case_id in owners and owners[visit.case_id] != visit.namespace
    ]


def refuse_foreign_visits(visits: Sequence[Visit], owners: Mapping[str, str]) -> None:
    """Raise CrossNamespaceError, naming the first, when any visit credits another
    namespace's case."""
    crossing = foreign_visits(visits, owners)
    if crossing:
        visit, owner = crossing[0]
        raise CrossNamespaceError(
            f"a visit in namespace {visit.namespace!r} credits case {visit.case_id} of "
            f"namespace {owner!r}; a case is credited only in its own namespace "
            f"({len(crossing)} of {len(visits)} visits cross, none was stored)"
        )
