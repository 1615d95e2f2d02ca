"""The case bank: cases and their visits, for any number of namespaces, in one vector store.

A case is fixed once stored: its point id is derived from its namespace, normalised question
and outcome (`memory.bank.identity`), so the same outcome again counts an attempt of that case
and another outcome is a new case beside it. A visit (s_j, c, y_j) records what a case earned
in a state; Q is computed from visits (`memory.policy`). Opening, closing and raw records are
`BankStorage`'s (`memory.bank.storage`); bank care (relabel, prune, consolidate, explain,
export) is functions over a bank in `memory.care`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from memory.bank.budget import case_usage, kept_after_write, over_budget
from memory.bank.identity import attempt_of, case_id_for, normalize_question, outcome_key
from memory.bank.limits import capped_case
from memory.bank.namespaces import check_namespace
from memory.bank.ownership import case_namespaces, refuse_foreign_visits, storable_ids
from memory.bank.records import Case, ScoredCase, Visit, VisitMatch
from memory.bank.redaction import redact, secrets_in
from memory.bank.steps import steps_of, visits_of
from memory.bank.storage import BankStorage, namespace_where
from memory.bank.stored_records import (
    VisitColumns,
    case_from_payload,
    case_point,
    stored_time,
    visit_columns,
    visit_matches,
)
from memory.engines.protocol import GroupValues, StoredPoint, Where, match


class CaseBank(BankStorage):
    """Cases and visits for any number of namespaces, in one vector store.

    with CaseBank("~/.local/share/memento/bank", dim=384) as bank:
        bank.add(case, vector)
        found = bank.search(vector, namespace="default", limit=32)
    """

    # -- cases ---------------------------------------------------------------------------------
    def add(self, case: Case, vector: Sequence[float]) -> Case:
        """Store an outcome of a question: a new case, or one more attempt of an identical one.

        The stored case's id, attempts and times are set here; the returned case is what the
        bank now holds. A stored case's content never changes (see `memory.bank.identity`).
        """
        return self.add_many([(case, vector)])[0]

    def add_many(self, items: Sequence[tuple[Case, Sequence[float]]]) -> list[Case]:
        """Store many outcomes in one write (bulk import), exactly as repeated `add`s would.

        Secrets from the environment (API keys, tokens) are redacted from every text of a case
        before it is stored (and before its outcome is fingerprinted).
        """
        for case, vector in items:
            self._check_vector(vector)
            check_namespace(case.namespace)
        items = [(capped_case(case), vector) for case, vector in items]
        secrets = secrets_in()
        if secrets:
            items = [(Case.model_validate(redact(c.model_dump(), secrets)), v) for c, v in items]
        with self._lock:
            ids = [case_id_for(c.namespace, c.question, outcome_key(c)) for c, _ in items]
            held = {c.id: c for c in self.get_many(list(dict.fromkeys(ids)))}
            now = stored_time(time.time())
            stored: list[Case] = []
            latest: dict[str, tuple[StoredPoint, Sequence[float]]] = {}
            for case_id, (case, vector) in zip(ids, items, strict=True):
                previous = held.get(case_id)
                new = attempt_of(previous, case, case_id, now)
                held[case_id] = new
                stored.append(new)
                latest[case_id] = (case_point(new), vector)
            self._cases.upsert(list(latest.values()))
        if self.max_cases is not None:
            self._keep_budget({c.namespace for c in stored}, self.max_cases)
        return stored

    def put_case(self, case: Case, vector: Sequence[float]) -> None:
        """Store a case exactly as given (id, attempts, times): bank care's one way to write."""
        self._check_vector(vector)
        with self._lock:
            self._cases.upsert([(case_point(case), vector)])

    def attempts(self, namespace: str, question: str) -> list[Case]:
        """Every stored case (attempt) of a question in a namespace, oldest first."""
        extra = (match("question_key", normalize_question(question)),)
        points = self._scroll(self._cases, namespace, extra)
        cases = [case for p in points if (case := case_from_payload(p.id, p.payload))]
        cases.sort(key=lambda c: (c.created_at, c.id))
        return cases

    def get(self, case_id: str) -> Case | None:
        """The case with this id, or None."""
        found = self.get_many([case_id])
        return found[0] if found else None

    def get_many(self, case_ids: Sequence[str]) -> list[Case]:
        """The cases with these ids that exist, in order (a non-UUID id names none)."""
        with self._lock:
            points = self._cases.retrieve(storable_ids(case_ids))
        by_id = {p.id: case for p in points if (case := case_from_payload(p.id, p.payload))}
        return [by_id[i] for i in case_ids if i in by_id]

    def case_vectors(self, case_ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored embedding of each case (or general memory) id that exists, unit length."""
        with self._lock:
            points = list(self._cases.retrieve(list(case_ids), with_vectors=True))
            if missing := set(case_ids) - {p.id for p in points}:  # memories are scored too
                points += self._memories.retrieve(list(missing), with_vectors=True)
        return {p.id: list(p.vector or []) for p in points}

    def search(
        self,
        vector: Sequence[float],
        *,
        namespace: str,
        limit: int,
        exclude_question: str | None = None,
    ) -> list[ScoredCase]:
        """The `limit` cases most similar to `vector` in a namespace, best first.

        `exclude_question` drops every attempt of that question (leakage control);
        quarantined cases are never found (`memory.bank.provenance`).
        """
        self._check_vector(vector)
        check_namespace(namespace)
        must_not = (match("provenance", "quarantined"),)  # kept for review, never shown
        if exclude_question is not None:
            must_not += (match("question_key", normalize_question(exclude_question)),)
        where = Where(must=(match("namespace", namespace),), must_not=must_not)
        with self._searching:
            hits = self._cases.search(vector, where=where, limit=limit)
        return [
            ScoredCase(case=case, similarity=h.score)
            for h in hits
            if (case := case_from_payload(h.id, h.payload))
        ]

    def list_cases(self, *, namespace: str | None = None, limit: int | None = None) -> list[Case]:
        """Cases, newest first (optionally of one namespace)."""
        points = self._scroll(self._cases, namespace)
        cases = [case for p in points if (case := case_from_payload(p.id, p.payload))]
        cases.sort(key=lambda c: c.updated_at, reverse=True)
        return cases[:limit] if limit is not None else cases

    def cases_where(self, namespace: str, field: str, values: Sequence[str]) -> list[Case]:
        """The namespace's cases whose `field` holds one of `values` (e.g. the cases some runs
        wrote, or the quarantined ones), found by the engine, not read one by one."""
        if not values:
            return []
        points = self._scroll(self._cases, namespace, (match(field, *values),))
        return [case for p in points if (case := case_from_payload(p.id, p.payload))]

    def count(self, *, namespace: str | None = None) -> int:
        """Number of cases (optionally of one namespace)."""
        with self._lock:
            return self._cases.count(namespace_where(namespace))

    def delete(self, case_ids: Sequence[str]) -> None:
        """Delete cases (or general memories) by id, their visits and own parametric Q biases."""
        if not case_ids:
            return
        ids = list(case_ids)
        with self._lock:
            self._forget_credit(ids)
            self._cases.delete(ids)
            self._memories.delete(ids)

    def _keep_budget(self, namespaces: set[str], max_cases: int) -> None:
        """After a write: bring each namespace past its budget back to 90% of it (LRU first)."""
        for namespace in namespaces:
            if self.count(namespace=namespace) <= max_cases:
                continue
            cases = self.list_cases(namespace=namespace)
            usage = case_usage(cases, self.list_visits(namespace=namespace))
            doomed = [c.id for c in over_budget(cases, usage, kept_after_write(max_cases))]
            for start in range(0, len(doomed), 256):
                self.delete(doomed[start : start + 256])

    # -- visits: views of the bank's steps (`memory.bank.steps`) ------------------------------
    def add_visits(self, visits: Sequence[tuple[Visit, Sequence[float]]]) -> None:
        """Record visits (each with its state vector s_j) in one write, as the steps they form
        (one record per run and cycle, merged with the one held). CrossNamespaceError refuses
        them all if one credits a case (or memory) of another namespace
        (`memory.bank.ownership`); ValueError if visits of one step disagree on its target."""
        if not visits:
            return
        for visit, vector in visits:
            self._check_vector(vector)
            check_namespace(visit.namespace)
        grouped = steps_of(visits)
        case_ids = storable_ids(visit.case_id for visit, _ in visits)
        with self._lock:
            owners = case_namespaces(self._cases.retrieve(case_ids, payload_keys=["namespace"]))
            owners |= case_namespaces(self._memories.retrieve(case_ids, payload_keys=["namespace"]))
            refuse_foreign_visits([visit for visit, _ in visits], owners)
            self.steps.write(grouped)

    def delete_visits(self, visits: Sequence[Visit]) -> None:
        """Delete these visits (bank care: a merge that found a run's read and unread visit)."""
        if visits:
            self.steps.forget(visits)

    def nearest_visits(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        *,
        per_case: int,
        retrieved: bool | None = None,
    ) -> list[VisitMatch]:
        """For each case, its `per_case` visits nearest to the state `vector`.

        At most len(case_ids) * per_case visits come back however long the bank has lived, and
        the visits left out are the farthest, whose kernel weight is the smallest. `retrieved`
        keeps only visits where the case was read (True) or only those where it was a
        candidate left unread (False). The engines read only the given cases' steps (through
        the keyword index on `read` or `unread`), never the whole collection, except Qdrant's
        local mode, which filters point by point in Python.
        """
        if not case_ids:
            return []
        self._check_vector(vector)
        found: list[VisitMatch] = []
        for read in (True, False) if retrieved is None else (retrieved,):
            hits = self.steps.nearest(vector, case_ids, per_case=per_case, read=read)
            found += visit_matches(hits, retrieved=read)  # type: ignore[arg-type]
        if retrieved is None:  # both: each case's nearest of either kind
            rank = {case_id: n for n, case_id in enumerate(dict.fromkeys(case_ids))}
            found.sort(key=lambda m: (rank[m.case_id], -m.cosine))
            taken: dict[str, int] = {}
            kept: list[VisitMatch] = []
            for visit in found:
                taken[visit.case_id] = taken.get(visit.case_id, 0) + 1
                if taken[visit.case_id] <= per_case:
                    kept.append(visit)
            found = kept
        return found

    def nearest_visit_columns(
        self,
        vector: Sequence[float],
        case_ids: Sequence[str],
        *,
        per_case: int,
        retrieved: bool = True,
    ) -> VisitColumns:
        """`nearest_visits` as columns, what kernel Q sums, with no record made per visit (and
        no payload read where a small bank's exact copy holds each step's target)."""
        if not case_ids:
            return visit_columns([])
        self._check_vector(vector)
        found = self.steps.nearest(
            vector, case_ids, per_case=per_case, read=retrieved, columns=True
        )
        if not isinstance(found, GroupValues):
            return visit_columns(found)
        groups = list(dict.fromkeys(case_ids))
        ids = [groups[i] for i in found.groups.tolist()]
        return VisitColumns(ids, found.scores, found.values[:, 0], found.values[:, 1], found.groups)

    def list_visits(
        self, *, case_id: str | None = None, namespace: str | None = None
    ) -> list[Visit]:
        """Stored visits, optionally of one case or namespace, oldest first."""
        steps = self.steps.crediting(namespace_where(namespace), case_id=case_id)
        visits = [visit for step, _ in steps for visit in visits_of(step, case_id)]
        visits.sort(key=lambda v: v.created_at)
        return visits

    def visit_states(
        self, namespace: str, *, case_id: str | None = None, run_id: str | None = None
    ) -> Iterator[tuple[Visit, list[float]]]:
        """Every visit of a namespace (of one case, of one run) with its state vector s_j."""
        where = namespace_where(namespace)
        if run_id:
            where = Where(must=(*where.must, match("run_id", run_id)))
        for step, vector in self.steps.crediting(where, case_id=case_id, with_vectors=True):
            for visit in visits_of(step, case_id):
                yield visit, vector

    def count_visits(self, *, namespace: str | None = None) -> int:
        """Number of visits (optionally of one namespace): the cases its steps credit."""
        steps = self.steps.crediting(namespace_where(namespace))
        return sum(len(step.read) + len(step.unread) for step, _ in steps)

    def count_steps(self, *, namespace: str | None = None) -> int:
        """Number of steps (records of credit; optionally of one namespace)."""
        return self.steps.count(namespace_where(namespace))
