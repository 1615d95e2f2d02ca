"""The case bank: cases and visits in a vector store, and what a stored record may be.

`CaseBank` holds cases (fixed once written: `identity`) and their visits; `records` are the
typed records that cross its boundary; `limits` cap what one case may hold; `provenance` says
how far a case's outcome may be trusted; `redaction` keeps secrets out of every write;
`namespaces` is the one rule for a tenant's name; `budget` the least-recently-used order of a
count budget. Knows nothing of the policy, bank care or the adapters built on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from memory.bank.budget import Usage, case_usage, over_budget
    from memory.bank.casebank import CaseBank
    from memory.bank.identity import case_id_for, normalize_question, outcome_key
    from memory.bank.limits import capped_case
    from memory.bank.namespaces import NAMESPACE_RULE, check_namespace, is_valid_namespace
    from memory.bank.provenance import Provenance, is_verified, provenance_for
    from memory.bank.q_params import QParamRecords, QParams
    from memory.bank.records import Case, ScoredCase, Visit, VisitMatch
    from memory.bank.redaction import mark_secret_variable, redact, redact_text, secrets_in
    from memory.bank.storage import BankStorage

_HOMES = {
    "BankStorage": "memory.bank.storage",
    "Case": "memory.bank.records",
    "CaseBank": "memory.bank.casebank",
    "NAMESPACE_RULE": "memory.bank.namespaces",
    "Provenance": "memory.bank.provenance",
    "QParamRecords": "memory.bank.q_params",
    "QParams": "memory.bank.q_params",
    "ScoredCase": "memory.bank.records",
    "Usage": "memory.bank.budget",
    "Visit": "memory.bank.records",
    "VisitMatch": "memory.bank.records",
    "capped_case": "memory.bank.limits",
    "case_id_for": "memory.bank.identity",
    "case_usage": "memory.bank.budget",
    "check_namespace": "memory.bank.namespaces",
    "is_valid_namespace": "memory.bank.namespaces",
    "is_verified": "memory.bank.provenance",
    "mark_secret_variable": "memory.bank.redaction",
    "normalize_question": "memory.bank.identity",
    "outcome_key": "memory.bank.identity",
    "over_budget": "memory.bank.budget",
    "provenance_for": "memory.bank.provenance",
    "redact": "memory.bank.redaction",
    "redact_text": "memory.bank.redaction",
    "secrets_in": "memory.bank.redaction",
}

__all__ = [
    "NAMESPACE_RULE",
    "BankStorage",
    "Case",
    "CaseBank",
    "Provenance",
    "QParamRecords",
    "QParams",
    "ScoredCase",
    "Usage",
    "Visit",
    "VisitMatch",
    "capped_case",
    "case_id_for",
    "case_usage",
    "check_namespace",
    "is_valid_namespace",
    "is_verified",
    "mark_secret_variable",
    "normalize_question",
    "outcome_key",
    "over_budget",
    "provenance_for",
    "redact",
    "redact_text",
    "secrets_in",
]

__getattr__ = lazy_exports(__name__, _HOMES)
