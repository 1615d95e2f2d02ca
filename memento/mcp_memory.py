"""Memento's learned case memory as an MCP server, for agents built on any framework.

Two tools over one bank, with the policy of `memory.policy.read` (no copy of it):

- `retrieve_cases(task, k?, mode?)`: the K cases read for the task, each with its similarity,
  Q and probability under mu, and a `retrieval_id` the server remembers with the task (as the
  bank would store it), its vector and the candidates shown and left unread, within a bounded
  memory (`memento.mcp_retrievals`).
- `report_outcome(retrieval_id, answer, reward | ground_truth, plan?)`: judges the answer
  (a ground truth is scored by `measured_judgement`; a reward the client gives is self-judged),
  writes the task as a case and records the visits of the cases read and, for contrastive
  credit, the candidates left unread. The retrieval id is the visits' run id, so a repeated
  report stores nothing new.

The client gives both the answer and the ground truth it is scored against, so a scored case
is verified (shown to planners as a success) only on a server a person started `trusted`
(`memento mcp --trusted`); elsewhere it is self-judged, like a reward the client gives, and
quarantined if it reads like an injection (`memory.bank.provenance`).

Run it with ``memento mcp`` (stdio) or ``memento mcp --transport streamable-http``.
"""

from __future__ import annotations

import threading
import time
from typing import get_args

import anyio
import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from memento.mcp_redaction import RedactingFastMCP
from memento.mcp_retrievals import Pending, RetrievalLog
from memory import Case, CaseBank, QEstimator
from memory.bank.provenance import provenance_for
from memory.policy.read import read_cases
from memory.policy.sampling import Mode
from memory.policy.write import record_visits
from nodes.context import MementoContext
from nodes.judge import measured_judgement
from nodes.schemas import Judgement, RetrievedCase


class MemoryToolError(ValueError):
    """A call the client can fix from the message alone (shown to it as the tool's error)."""


class Retrieval(BaseModel):
    """What `retrieve_cases` returns: the id to report the outcome with, and the cases read."""

    retrieval_id: str
    namespace: str
    mode: Mode
    cases: list[RetrievedCase]


class Outcome(BaseModel):
    """What `report_outcome` returns: the case written and the visits recorded."""

    retrieval_id: str
    case_id: str | None
    reward: float | None
    method: str
    provenance: str | None
    visits: int
    already_reported: bool = False


class CaseMemory:
    """The read and write side of one namespace's bank, for calls that arrive one by one."""

    def __init__(
        self,
        bank: CaseBank,
        embedder: Embeddings,
        estimator: QEstimator,
        ctx: MementoContext,
        rng: np.random.Generator,
        *,
        trusted: bool = False,
    ) -> None:
        self.bank, self.embedder, self.estimator, self.ctx, self.rng = (
            bank,
            embedder,
            estimator,
            ctx,
            rng,
        )
        self.trusted = trusted  # scored against a client's truth: verified (module docstring)
        self.retrievals = RetrievalLog()
        self._lock = threading.Lock()  # the estimator and the rng are not thread-safe

    def retrieve(self, task: str, k: int | None = None, mode: str | None = None) -> Retrieval:
        """The cases read for `task` (K from the settings unless given; mode likewise)."""
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
        with self._lock:
            ranked, chosen = read_cases(
                self.bank,
                self.estimator,
                vector,
                namespace=self.ctx.namespace,
                limit=self.ctx.num_candidates,
                k=k,
                alpha=self.ctx.alpha,
                mode=mode,
                rng=self.rng,
                min_similarity=self.ctx.min_similarity,
            )
            read = [r.case.id for r in chosen]
            unread = [r.case.id for r in ranked if r.case.id not in set(read)]
            retrieval_id = self.retrievals.add(Pending.of(task, vector, read, unread, mode))
        cases = [RetrievedCase.from_ranked(r) for r in chosen]
        return Retrieval(
            retrieval_id=retrieval_id, namespace=self.ctx.namespace, mode=mode, cases=cases
        )

    def report(
        self,
        retrieval_id: str,
        answer: str,
        *,
        reward: float | None = None,
        ground_truth: str | None = None,
        plan: list[str] | None = None,
    ) -> Outcome:
        """Judge the answer, write the case and record the visits (once per retrieval)."""
        judgement = self._judge(answer.strip(), reward, ground_truth)
        with self._lock:
            held = self.retrievals.get(retrieval_id)
            if held is None:
                raise MemoryToolError(self.retrievals.why_missing(retrieval_id))
            if isinstance(held.outcome, Outcome):
                return held.outcome.model_copy(update={"visits": 0, "already_reported": True})
            held.outcome = self._learn(retrieval_id, held, answer.strip(), judgement, plan)
            return held.outcome

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

    def _learn(
        self,
        retrieval_id: str,
        pending: Pending,
        answer: str,
        judgement: Judgement,
        plan: list[str] | None,
    ) -> Outcome:
        against_truth = self.trusted and judgement.method != "self"
        if pending.mode == "eval":  # evaluation reads the bank and never writes it
            return Outcome(
                retrieval_id=retrieval_id,
                case_id=None,
                reward=judgement.reward,
                method=judgement.method,
                provenance=None,
                visits=0,
            )
        now = time.time()
        plan = [str(step) for step in plan or []]
        case = Case(
            id="",
            namespace=self.ctx.namespace,
            question=pending.question,
            plan=plan,
            answer=answer,
            reward=float(judgement.reward or 0.0),
            judge_rationale=judgement.rationale,
            run_id=retrieval_id,
            created_at=now,
            updated_at=now,
            provenance=provenance_for(against_truth=against_truth, tool_texts=[answer, *plan]),
        )
        vector = pending.vector.tolist()
        stored = self.bank.add(case, vector)
        visits = 0
        if pending.shown:
            visits = record_visits(
                self.bank,
                self.estimator,
                [list(pending.shown)],
                [vector],
                [float(judgement.reward or 0.0)],
                namespace=self.ctx.namespace,
                run_id=retrieval_id,
                unread_ids=list(pending.unread),
            )
        return Outcome(
            retrieval_id=retrieval_id,
            case_id=stored.id,
            reward=judgement.reward,
            method=judgement.method,
            provenance=stored.provenance,
            visits=visits,
        )


def build_server(
    memory: CaseMemory, *, host: str = "127.0.0.1", port: int = 8000
) -> RedactingFastMCP:
    """The MCP server with `retrieve_cases` and `report_outcome` over `memory`; no secret
    leaves it in a tool's error (`memento.mcp_redaction`)."""
    server = RedactingFastMCP("memento-memory", host=host, port=port, log_level="WARNING")

    @server.tool()
    async def retrieve_cases(task: str, k: int | None = None, mode: str | None = None) -> dict:
        """Past cases (question, plan, answer, reward, provenance) that should help with `task`,
        ranked by a learned Q, with a retrieval_id to pass to report_outcome afterwards.
        mode: "train" (the default) also tries cases not yet proven, so it learns which help;
        "eval" takes the K best by their learned score."""
        result = await anyio.to_thread.run_sync(memory.retrieve, task, k, mode)
        return result.model_dump(mode="json")

    @server.tool()
    async def report_outcome(
        retrieval_id: str,
        answer: str,
        reward: float | None = None,
        ground_truth: str | None = None,
        plan: list[str] | None = None,
    ) -> dict:
        """Report how the task of a retrieve_cases call went: the final answer and either its
        reward (0 to 1, recorded as self-judged) or the ground truth to score it against
        (recorded as ground_truth only if the server was started trusted). The task is stored
        as a case and the retrieved cases are credited; reporting twice is a no-op."""
        result = await anyio.to_thread.run_sync(
            lambda: memory.report(
                retrieval_id, answer, reward=reward, ground_truth=ground_truth, plan=plan
            )
        )
        return result.model_dump(mode="json")

    return server
