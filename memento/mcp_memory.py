"""Memento's learned case memory as a service for calls that arrive one by one (`memento mcp`).

The read and write sides of the policy of `memory.policy` (no copy of them), per call in the
namespace `memento.mcp_scope.resolve_scope` gives it:

- `retrieve`: the K cases read for a task, each with its similarity, Q and probability under
  mu, and a `retrieval_id`. The retrieval (task as its case will hold it, state vector, cases
  read and left unread, namespace, mode) is a record of the bank (`memory.bank.retrievals`),
  so a report reaches a server process that did not make the read (a stdio client that
  starts a server per call) and survives a restart.
- `report`: judges the answer (a ground truth is scored by `measured_judgement`; a reward the
  client gives is self-judged), writes the task as a case in the retrieval's namespace and
  records the visits of the cases read and, for contrastive credit, of the candidates left
  unread. The retrieval id is the visits' run id; the outcome is set on the retrieval once, so
  a repeated report is a no-op that returns the first outcome (`already_reported`).
  A retrieval of general memories (`search_memories`, `memento.mcp_memories`) is reported
  the same way, once, but writes no case: each memory version shown and still held gets a
  visit with the reward (a case for the task comes only from a `retrieve_cases` retrieval).

The client gives both the answer and the ground truth it is scored against, so a scored case
is verified (shown to planners as a success) only on a server a person started `trusted`
(`memento mcp --trusted`); elsewhere it is self-judged, like a reward the client gives, and
quarantined if it reads like an injection (`memory.bank.provenance`).

Browsing and care (search, list, get, delete) are `memento.mcp_case_care`'s; the tools over
both are `memento.mcp_tools_cases`'.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import get_args

import numpy as np
from langchain_core.embeddings import Embeddings

from memento.mcp_case_care import CaseCare
from memento.mcp_models import Outcome, RetrievedCases
from memento.mcp_scope import MemoryToolError, Scope, resolve_scope
from memory import Case, CaseBank, QEstimator
from memory.bank.provenance import provenance_for
from memory.bank.retrievals import MAX_KEPT, Retrieval, new_retrieval_id
from memory.policy.read import read_cases
from memory.policy.sampling import Mode
from memory.policy.write import credit_memories_shown, record_visits
from nodes.context import MementoContext
from nodes.schemas import Judgement, RetrievedCase
from nodes.scorers import measured_judgement

__all__ = ["CaseMemory", "MemoryToolError", "Outcome", "RetrievedCases"]

MAX_ESTIMATORS = 256
"""Namespaces whose Q estimator a server keeps at hand (some hold per-namespace state)."""


class CaseMemory(CaseCare):
    """The read and write side of a bank's cases, for any namespace a call resolves to."""

    def __init__(
        self,
        bank: CaseBank,
        embedder: Embeddings,
        estimators: Callable[[MementoContext], QEstimator],
        ctx: MementoContext,
        rng: np.random.Generator,
        *,
        trusted: bool = False,
    ) -> None:
        """`estimators` makes the Q estimator of a context (`MementoDeps.estimator`): called
        with the context of each namespace served, since some estimators are per namespace."""
        self.bank, self.embedder, self.ctx, self.rng = bank, embedder, ctx, rng
        self.estimators = estimators
        self.trusted = trusted  # scored against a client's truth: verified (module docstring)
        self._estimators: OrderedDict[str, QEstimator] = OrderedDict()
        self.lock = threading.Lock()  # the estimators and the rng are not thread-safe (held by
        # every read and write of the policy, the memory tools' included)

    def scope(self, namespace: str | None = None, user_id: str | None = None) -> Scope:
        """The namespace a call is served from: the one rule of `memento.mcp_scope`."""
        return resolve_scope(self.ctx, namespace, user_id)

    def retrieve(
        self,
        task: str,
        k: int | None = None,
        mode: str | None = None,
        *,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> RetrievedCases:
        """The cases read for `task` (K from the settings unless given; mode likewise)."""
        scope = self.scope(namespace, user_id)
        task = task.strip()
        if not task:
            raise MemoryToolError("task is empty")
        k = self.ctx.top_k if k is None else k
        if not 1 <= k <= self.ctx.num_candidates:
            raise MemoryToolError(f"k must be in [1, {self.ctx.num_candidates}], got {k}")
        mode = mode or self.ctx.mode
        if mode not in get_args(Mode):
            raise MemoryToolError(f"mode must be one of {list(get_args(Mode))}, got {mode!r}")
        vector = [float(x) for x in self.embedder.embed_query(task)]
        with self.lock:
            ranked, chosen = read_cases(
                self.bank,
                self.estimator(scope.namespace),
                vector,
                namespace=scope.namespace,
                limit=self.ctx.num_candidates,
                k=k,
                alpha=self.ctx.alpha,
                mode=mode,
                rng=self.rng,
                min_similarity=self.ctx.min_similarity,
            )
        read = [r.case.id for r in chosen]
        unread = [r.case.id for r in ranked if r.case.id not in set(read)]
        retrieval = Retrieval(
            id=new_retrieval_id(),
            namespace=scope.namespace,
            question=task,
            mode=mode,
            shown=read,
            unread=unread,
        )
        self.bank.retrievals.save(retrieval, vector)
        return RetrievedCases(
            retrieval_id=retrieval.id,
            namespace=scope.namespace,
            mode=mode,
            cases=[RetrievedCase.from_ranked(r) for r in chosen],
        )

    def report(
        self,
        retrieval_id: str,
        answer: str,
        *,
        reward: float | None = None,
        ground_truth: str | None = None,
        plan: list[str] | None = None,
        namespace: str | None = None,
        user_id: str | None = None,
    ) -> Outcome:
        """Judge the answer, write the case and record the visits (once per retrieval), in
        the namespace the retrieval was made in; a caller naming another is refused."""
        scope = self.scope(namespace, user_id)
        judgement = self._judge(answer.strip(), reward, ground_truth)
        with self.lock:
            retrieval, vector = self._retrieval(retrieval_id, scope)
            if retrieval.outcome is not None:
                return _repeated(retrieval.outcome)
            if retrieval.kind == "memories":  # search_memories': credit them, write no case
                outcome = self._credit_memories(retrieval, vector, judgement)
            else:
                outcome = self._learn(retrieval, vector, answer.strip(), judgement, plan)
            # set once: another process that reported it meanwhile (a shared server store)
            # keeps its outcome; visits are keyed by run and case, so none is counted twice
            earlier = self.bank.retrievals.report(retrieval.id, outcome.model_dump(mode="json"))
            return outcome if earlier is None else _repeated(earlier)

    def _retrieval(self, retrieval_id: str, scope: Scope) -> tuple[Retrieval, list[float]]:
        held = self.bank.retrievals.get(retrieval_id)
        if held is None:
            raise MemoryToolError(
                f"unknown retrieval_id {retrieval_id!r}: call retrieve_cases or search_memories "
                f"first (a namespace keeps its last {MAX_KEPT:,} retrievals, the oldest "
                "forgotten first)"
            )
        retrieval = held[0]
        if scope.named and scope.namespace != retrieval.namespace:
            raise MemoryToolError(
                f"retrieval_id {retrieval_id!r} was made for another user or namespace than "
                f"this call's ({scope.namespace!r}): report it as the caller that retrieved"
            )
        return held

    def estimator(self, namespace: str) -> QEstimator:
        """The Q estimator of one namespace (the least recently used dropped past a bound)."""
        estimator = self._estimators.pop(namespace, None)
        if estimator is None:
            ctx = dataclasses.replace(
                self.ctx, namespace=namespace, namespace_template=None, user_id=None
            )
            estimator = self.estimators(ctx)
        self._estimators[namespace] = estimator
        while len(self._estimators) > MAX_ESTIMATORS:
            self._estimators.popitem(last=False)
        return estimator

    def _judge(self, answer: str, reward: float | None, truth: str | None) -> Judgement:
        if (reward is None) == (not truth):
            raise MemoryToolError("give exactly one of reward (0 to 1) and ground_truth")
        if reward is not None:
            if not 0.0 <= reward <= 1.0:
                raise MemoryToolError(f"reward must be in [0, 1], got {reward}")
            return Judgement(reward=reward, method="self", rationale="reward reported by client")
        scorer = self.ctx.scorer
        judgement = measured_judgement(answer, truth or "", scorer)
        if judgement is None:
            raise MemoryToolError(
                f"scorer {scorer!r} needs a judge model, which this server does not call: "
                "set scorer to auto, exact or numeric, or report a reward"
            )
        return judgement

    def _credit_memories(
        self, retrieval: Retrieval, vector: list[float], judgement: Judgement
    ) -> Outcome:
        """A visit with the reward for each memory the search showed that is still held."""
        reward = float(judgement.reward or 0.0)
        estimator = self.estimator(retrieval.namespace)
        visits = credit_memories_shown(self.bank, estimator, retrieval, vector, reward)
        return Outcome(
            retrieval_id=retrieval.id,
            namespace=retrieval.namespace,
            kind="memories",
            case_id=None,
            reward=judgement.reward,
            method=judgement.method,
            provenance=None,
            visits=visits,
        )

    def _learn(
        self,
        retrieval: Retrieval,
        vector: list[float],
        answer: str,
        judgement: Judgement,
        plan: list[str] | None,
    ) -> Outcome:
        namespace, reward = retrieval.namespace, float(judgement.reward or 0.0)
        outcome = Outcome(
            retrieval_id=retrieval.id,
            namespace=namespace,
            case_id=None,
            reward=judgement.reward,
            method=judgement.method,
            provenance=None,
            visits=0,
        )
        if retrieval.mode == "eval":  # evaluation reads the bank and never writes it
            return outcome
        now = time.time()
        plan = [str(step) for step in plan or []]
        against_truth = self.trusted and judgement.method != "self"
        case = Case(
            id="",
            namespace=namespace,
            question=retrieval.question,
            plan=plan,
            answer=answer,
            reward=reward,
            judge_rationale=judgement.rationale,
            run_id=retrieval.id,
            created_at=now,
            updated_at=now,
            provenance=provenance_for(against_truth=against_truth, tool_texts=[answer, *plan]),
        )
        stored = self.bank.add(case, vector)
        visits = 0
        if retrieval.shown:
            visits = record_visits(
                self.bank,
                self.estimator(namespace),
                [list(retrieval.shown)],
                [vector],
                [reward],
                namespace=namespace,
                run_id=retrieval.id,
                unread_ids=list(retrieval.unread),
            )
        return outcome.model_copy(
            update={"case_id": stored.id, "provenance": stored.provenance, "visits": visits}
        )


def _repeated(earlier: dict) -> Outcome:
    """The first report's outcome, as a repeated report returns it (nothing recorded now)."""
    return Outcome.model_validate({**earlier, "visits": 0, "already_reported": True})
