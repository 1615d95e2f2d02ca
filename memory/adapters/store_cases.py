"""A case through the store: which values are cases, the case a value makes, its key and item.

A value with a `reward` is a case (`is_case_value`): an outcome a judge or a person scored, the
one thing a store value can claim that moves retrieval, so it is checked field by field and
refused naming what is wrong. Every other value is a general memory
(`memory.adapters.store_memories`). A misspelt case field therefore never turns a case into
a memory by accident, and a memory that needs a field named `reward` is put nested, e.g.
`{"content": {...}}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, get_args

from langgraph.store.base import SearchItem
from pydantic import ValidationError

from memory.adapters.store_namespaces import store_namespace
from memory.bank.identity import case_id_for, outcome_key
from memory.bank.limits import capped_case
from memory.bank.provenance import Provenance, untrusted_provenance
from memory.bank.records import Case
from memory.bank.redaction import redact, secrets_in

KEPT_BY_BANK = frozenset({"id", "namespace"})  # the item's key and namespace
SET_BY_BANK = frozenset({"attempts", "created_at", "updated_at"})  # ignored when put
_TIMES = frozenset({"created_at", "updated_at"})  # the item's own times
_WRITABLE = frozenset(Case.model_fields) - KEPT_BY_BANK - SET_BY_BANK


class CaseWriteError(ValueError):
    """A put the bank refuses: a value that is not a case, a wrong key, an immutable case."""


def is_case_value(value: Any) -> bool:
    """Whether a put's value is taken as a case: an object with a `reward` field."""
    return isinstance(value, Mapping) and "reward" in value


def case_from_value(namespace: str, value: Mapping[str, Any]) -> Case:
    """A new case of `namespace` from an item value; CaseWriteError names what is wrong.

    Needs `question` and `reward` (0-1); takes the other fields a case has. The fields the bank
    sets (attempts, times) are ignored, so a value read with `get` can be put back.
    """
    if not isinstance(value, Mapping):
        raise CaseWriteError(f"a case's value is a JSON object, got {type(value).__name__}")
    unknown = set(value) - _WRITABLE - SET_BY_BANK - KEPT_BY_BANK
    if unknown:
        names = ", ".join(sorted(map(repr, unknown)))
        raise CaseWriteError(
            f"unknown case field {names}; the fields are {sorted(_WRITABLE)} (a value with a "
            "'reward' is a case; a general memory with one is put nested, e.g. "
            "{'content': {...}})"
        )
    question = value.get("question")
    if not isinstance(question, str) or not question.strip():
        raise CaseWriteError("a case needs a 'question': a non-empty string")
    reward = value.get("reward")
    if isinstance(reward, bool) or not isinstance(reward, int | float) or not 0 <= reward <= 1:
        raise CaseWriteError(f"a case needs a 'reward' from 0 to 1, got {reward!r}")
    provenance = value.get("provenance", "imported")
    if provenance not in get_args(Provenance):
        choices = ", ".join(get_args(Provenance))
        raise CaseWriteError(f"'provenance' must be one of {choices}; got {provenance!r}")
    fields = {k: v for k, v in value.items() if k in _WRITABLE}
    try:
        return Case(
            **{**fields, "question": question.strip(), "provenance": provenance},
            id="",
            namespace=namespace,
            created_at=0.0,
            updated_at=0.0,
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise CaseWriteError(f"case field {where!r}: {problem['msg']}") from None


def case_to_put(
    namespace: str, key: str, value: Mapping[str, Any], held: Case | None, *, trusted: bool
) -> Case:
    """The case a put of `value` under `key` stores (`held`: the case the key names now);
    CaseWriteError when the key is not the case's or would change a held case. Untrusted, the
    case's provenance is never taken from the value (MementoStore's "Trust")."""
    case = stored_form(case_from_value(namespace, value))
    if not trusted:  # every write through the store comes here
        case = case.model_copy(update={"provenance": untrusted_provenance(case.provenance)})
    own = case_key(case)
    if held is not None and held.id != own:
        raise CaseWriteError(
            f"case {key!r} cannot change: a case is immutable once written (its visits "
            f"credit what it showed). Put the new content under key {own!r} as a new case, "
            f"and delete {key!r} if it is obsolete"
        )
    if key != own:
        raise CaseWriteError(
            f"key {key!r} is not this case's: a case's key is derived from its "
            f"namespace, question and outcome; put it under key {own!r} "
            "(MementoStore.key_for gives it)"
        )
    return case


def stored_form(case: Case) -> Case:
    """The case as the bank stores it (capped, secrets redacted), whose id the bank derives."""
    case = capped_case(case)
    secrets = secrets_in()
    return Case.model_validate(redact(case.model_dump(), secrets)) if secrets else case


def case_key(case: Case) -> str:
    return case_id_for(case.namespace, case.question, outcome_key(case))


def case_search_item(case: Case, score: float | None) -> SearchItem:
    namespace = store_namespace(case.namespace) or (case.namespace,)
    return SearchItem(namespace=namespace, key=case.id, score=score, **case_item_fields(case))


def case_item_fields(case: Case) -> dict[str, Any]:
    """A case's item value (all but its id and namespace, which are key and namespace) and
    times."""
    return {
        "value": case.model_dump(mode="json", exclude=set(KEPT_BY_BANK | _TIMES)),
        "created_at": datetime.fromtimestamp(case.created_at, tz=UTC),
        "updated_at": datetime.fromtimestamp(case.updated_at, tz=UTC),
    }
