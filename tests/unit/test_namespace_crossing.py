"""A case id is never accepted in a namespace other than its own (issue 26, 2a).

Bob's run, interrupted after `retrieve` and resumed as Alice, credited Bob's case in Alice's
namespace, while `cases check` said ok. Now the bank refuses a visit that crosses namespaces
whoever writes it, and `cases check` names any stored before the rule.
"""

from __future__ import annotations

import uuid

import pytest

from memory import Case, CaseBank, KernelQ, Visit, record_visits
from memory.bank.stored_records import visit_point
from memory.care.integrity import check_bank
from memory.errors import CrossNamespaceError
from tests.fakes import HashingEmbedder


def _visit(case_id: str, namespace: str) -> Visit:
    return Visit(
        id=str(uuid.uuid4()), case_id=case_id, namespace=namespace, target=1.0, run_id="r1",
        created_at=0.0,
    )  # fmt: skip


def _bobs_case(bank: CaseBank, embedder: HashingEmbedder) -> str:
    case = Case(
        id="", namespace="memento:bob", question="Bob's private question", reward=1.0,
        created_at=0.0, updated_at=0.0,
    )  # fmt: skip
    return bank.add(case, embedder.embed_query(case.question)).id


def test_the_bank_refuses_a_visit_that_credits_another_namespaces_case(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    """Whoever writes it (the graph's update_q, the middleware and the MCP server go through
    `record_visits`; bank care through `add_visits`), nothing is stored."""
    bobs = _bobs_case(bank, embedder)
    state = embedder.embed_query("Alice's task")
    with pytest.raises(CrossNamespaceError, match="credits case .* of namespace 'memento:bob'"):
        record_visits(bank, KernelQ(bank), [[bobs]], [state], [1.0], namespace="memento:alice")
    with pytest.raises(CrossNamespaceError):
        bank.add_visits([(_visit("00000000-0000-4000-8000-000000000001", "memento:alice"), state),
                         (_visit(bobs, "memento:alice"), state)])  # fmt: skip
    assert bank.list_visits() == []
    record_visits(bank, KernelQ(bank), [[bobs]], [state], [1.0], namespace="memento:bob")
    assert [v.namespace for v in bank.list_visits(case_id=bobs)] == ["memento:bob"]


def test_cases_check_names_a_visit_stored_across_namespaces(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    """A visit written before the rule (here, around it) is named, whole store or not."""
    bobs = _bobs_case(bank, embedder)
    crossing = _visit(bobs, "memento:alice")
    bank._visits.upsert([(visit_point(crossing), embedder.embed_query("x"))])
    for namespace in (None, "memento:alice"):
        report = check_bank(bank, namespace=namespace)
        assert not report.ok and any(
            f"visit {crossing.id} in 'memento:alice' credits case {bobs} of 'memento:bob'" in line
            for line in report.problems
        ), report.problems
    assert check_bank(bank, namespace="memento:bob").ok
