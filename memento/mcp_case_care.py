"""Browsing and care of a namespace's cases for `memento mcp`: search, list, get, delete.

None of them is a retrieval: nothing is recorded and no Q moves (a person browsing, an agent
looking a case up). Each resolves its namespace first (`CaseMemory.scope`, the one rule of
`memento.mcp_scope`), and a case of another namespace is not found, whatever its id: a caller
sees, and deletes, only its own.
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from memento.mcp_models import CaseDetail, CaseList, CaseSummary, DeletedCase, FoundCase, FoundCases
from memento.mcp_scope import MemoryToolError, Scope
from memory import Case, CaseBank

MAX_LISTED = 1_000
"""Most cases one search or list call returns."""


class CaseCare:
    """The browsing and care calls of `CaseMemory` (which sets these attributes)."""

    bank: CaseBank
    embedder: Embeddings

    def scope(self, namespace: str | None = None, user_id: str | None = None) -> Scope:
        raise NotImplementedError

    def search_cases(
        self,
        query: str,
        limit: int = 10,
        *,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> FoundCases:
        """The cases nearest in meaning to `query`, best first (quarantined ones are never
        shown, as in a retrieval)."""
        scope = self.scope(namespace, user_id)
        query = query.strip()
        if not query:
            raise MemoryToolError("query is empty")
        _check_limit(limit)
        vector = [float(x) for x in self.embedder.embed_query(query)]
        found = self.bank.search(vector, namespace=scope.namespace, limit=limit)
        cases = [
            FoundCase(**CaseSummary.of(f.case).model_dump(), similarity=f.similarity) for f in found
        ]
        return FoundCases(namespace=scope.namespace, cases=cases)

    def list_cases(
        self,
        limit: int = 20,
        offset: int = 0,
        *,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> CaseList:
        """One page of the namespace's cases, most recently used first."""
        scope = self.scope(namespace, user_id)
        _check_limit(limit)
        if offset < 0:
            raise MemoryToolError(f"offset must be 0 or more, got {offset}")
        cases = self.bank.list_cases(namespace=scope.namespace)
        page = [CaseSummary.of(case) for case in cases[offset : offset + limit]]
        return CaseList(namespace=scope.namespace, total=len(cases), offset=offset, cases=page)

    def get_case(
        self, case_id: str, *, namespace: str | None = None, user_id: str | None = None
    ) -> CaseDetail:
        """The whole case, and the number of visits its Q is made of."""
        case = self._own_case(case_id, self.scope(namespace, user_id))
        return CaseDetail.of(case, visits=len(self.bank.list_visits(case_id=case.id)))

    def delete_case(
        self, case_id: str, *, namespace: str | None = None, user_id: str | None = None
    ) -> DeletedCase:
        """Delete the case and its visits (what other cases learned from runs that read it
        stays theirs)."""
        case = self._own_case(case_id, self.scope(namespace, user_id))
        visits = len(self.bank.list_visits(case_id=case.id))
        self.bank.delete([case.id])
        return DeletedCase(case_id=case.id, namespace=case.namespace, visits=visits)

    def _own_case(self, case_id: str, scope: Scope) -> Case:
        case = self.bank.get(case_id.strip())
        if case is None or case.namespace != scope.namespace:  # another's case is not found
            raise MemoryToolError(
                f"no case with id {case_id!r} in namespace {scope.namespace!r} "
                "(list_cases or search_cases show the ids)"
            )
        return case


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LISTED:
        raise MemoryToolError(f"limit must be in [1, {MAX_LISTED}], got {limit}")
