"""Memento's read and write for any `langchain.agents.create_agent` agent.

    agent = create_agent(model, tools, middleware=[MementoMiddleware(bank, embedder)])
    agent.invoke({"messages": [("user", "What is 17 * 23 + 4?")], "ground_truth": "395"})

Before the agent runs, the middleware retrieves cases for the user's task (the last human
message) with the same policy as the graph's `retrieve` node, and the namespace's general
memories (`memories` of them, 0 = none; notes saved through `MementoStore`, e.g. LangMem's),
and every model call of the run sees them in its system message, the memories under the graph
planner's heading. After the agent, it judges the final answer (against `ground_truth` from the
input or the agent's context, else with `judge` if one is given), writes the task as a case
and records a visit (s, c_k, r) for each case and memory shown: the paper's single-step soft-Q
update. A task that cannot be judged writes nothing; nor does `mode="eval"`.

Each run has an id (`memento_run_id` in the state: its case and visits carry it). In train
mode every tool call runs with `configurable["memento_run_id"]` naming it (unless the caller
named a run in the invoke config), so a tool's store search (`create_agent(...,
store=MementoStore(...))`, `get_store().search`, `runtime.store.search`) is saved for the run,
and after the agent the run's reward credits it (`memory.policy.write.credit_retrievals`).

One middleware serves many users: `namespace=("memento", "{user_id}")` is filled per run
from the agent's context (or `config["configurable"]`), and a run without the value fails
instead of reading and writing a namespace others share (`memory.adapters.store_namespaces`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.config import get_config
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.runtime import Runtime

from memento.agent_runs import answer_of, case_of, task_of, tool_results
from memento.agent_state import (
    MementoAgentState,
    cases_of,
    context_truth,
    fresh_run,
    memories_of,
    naming_run,
    with_shown,
)
from memory import CaseBank, KernelQ, QEstimator
from memory.adapters.store_namespaces import (
    NamespaceTemplate,
    bank_namespace,
    check_template,
    fill_template,
    is_template,
    run_values,
)
from memory.adapters.store_policy import current_run
from memory.policy import defaults
from memory.policy.read import read_cases, read_memories
from memory.policy.sampling import Mode
from memory.policy.write import credit_retrievals, record_visits
from nodes.context import Scorer
from nodes.judge import Verdict, judge_prompt, measured_judgement, verdict_judgement
from nodes.schemas import Judgement, RetrievedCase, ShownMemory

ModelCall = Callable[[ModelRequest], ModelResponse]
AsyncModelCall = Callable[[ModelRequest], Awaitable[ModelResponse]]
ToolHandler = Callable[[ToolCallRequest], ToolMessage | Any]
AsyncToolHandler = Callable[[ToolCallRequest], Awaitable[ToolMessage | Any]]


class MementoMiddleware(AgentMiddleware[MementoAgentState, Any]):
    """Case-based memory with a learned retrieval policy for a `create_agent` agent."""

    state_schema = MementoAgentState

    def __init__(
        self,
        bank: CaseBank,
        embedder: Embeddings,
        *,
        k: int = 4,
        memories: int = 3,
        num_candidates: int = 32,
        alpha: float = defaults.ALPHA,
        mode: Mode = "train",
        namespace: NamespaceTemplate = "default",
        estimator: QEstimator | None = None,
        judge: BaseChatModel | None = None,
        scorer: Scorer = "auto",
        seed: int | None = None,
        min_similarity: float = defaults.MIN_SIMILARITY,
    ) -> None:
        """`estimator` defaults to kernel Q over the bank; `judge` is only asked when a run
        has no ground truth (or `scorer="llm"`). `k` cases and `memories` general memories
        (0: none) are shown, each chosen from the `num_candidates` nearest.

        `namespace` is a bank namespace ("default"), a store tuple (("memento", "alice")), or
        a template filled per run from the agent's context, then `config["configurable"]`
        (("memento", "{user_id}")): a run that lacks a value fails, naming it.
        """
        if not 1 <= k <= num_candidates:
            raise ValueError(f"k must be in [1, num_candidates={num_candidates}], got {k}")
        if memories < 0:
            raise ValueError(f"memories must be 0 (none) or more, got {memories}")
        self.bank = bank
        self.embedder = embedder
        self.k, self.memories, self.num_candidates, self.alpha = k, memories, num_candidates, alpha
        if is_template(namespace):
            check_template(namespace)
        elif isinstance(namespace, tuple):
            namespace = bank_namespace(namespace)
        self.mode, self.namespace, self.scorer = mode, namespace, scorer
        self.estimator = estimator or KernelQ(bank)  # the graph's defaults
        self.judge = judge
        self.rng = np.random.default_rng(seed)
        self.min_similarity = min_similarity
        self.tools = []

    # -- before the agent: retrieve ---------------------------------------------------------
    def before_agent(self, state: MementoAgentState, runtime: Runtime[Any]) -> dict[str, Any]:
        task = task_of(state["messages"])
        if not task:
            return fresh_run([], [])
        namespace = self._namespace(runtime)
        return self._retrieve(task, self.embedder.embed_query(task), namespace)

    async def abefore_agent(
        self, state: MementoAgentState, runtime: Runtime[Any]
    ) -> dict[str, Any]:
        task = task_of(state["messages"])
        if not task:
            return fresh_run([], [])
        namespace = self._namespace(runtime)
        vector = await self.embedder.aembed_query(task)
        return await asyncio.to_thread(self._retrieve, task, vector, namespace)

    def _namespace(self, runtime: Runtime[Any]) -> str:
        """This run's bank namespace: the fixed one, or the template filled from the run."""
        if not is_template(self.namespace):
            return self.namespace  # type: ignore[return-value]
        try:
            configurable = get_config().get("configurable") or {}
        except RuntimeError:  # called outside a run
            configurable = {}
        return fill_template(self.namespace, run_values(runtime.context, configurable))

    def _retrieve(self, task: str, vector: list[float], namespace: str) -> dict[str, Any]:
        policy = {
            "namespace": namespace,
            "limit": self.num_candidates,
            "alpha": self.alpha,
            "mode": self.mode,
            "rng": self.rng,
            "min_similarity": self.min_similarity,
        }
        ranked, chosen = read_cases(self.bank, self.estimator, vector, k=self.k, **policy)
        memories = read_memories(self.bank, self.estimator, vector, k=self.memories, **policy)
        read = {r.case.id for r in chosen}
        return fresh_run(
            [RetrievedCase.from_ranked(r) for r in chosen],
            [float(x) for x in vector],
            unread=[r.case.id for r in ranked if r.case.id not in read],
            memories=[ShownMemory.from_ranked(r) for r in memories],
        )

    # -- every model call: show the cases and memories; every tool call: name the run -------
    def wrap_model_call(self, request: ModelRequest, handler: ModelCall) -> ModelResponse:
        return handler(with_shown(request))

    async def awrap_model_call(
        self, request: ModelRequest, handler: AsyncModelCall
    ) -> ModelResponse:
        return await handler(with_shown(request))

    def wrap_tool_call(self, request: ToolCallRequest, handler: ToolHandler) -> Any:
        return handler(naming_run(request) if self.mode == "train" else request)

    async def awrap_tool_call(self, request: ToolCallRequest, handler: AsyncToolHandler) -> Any:
        return await handler(naming_run(request) if self.mode == "train" else request)

    # -- after the agent: judge, write the case, update Q ------------------------------------
    def after_agent(self, state: MementoAgentState, runtime: Runtime[Any]) -> dict[str, Any]:
        namespace = self._namespace(runtime)
        judgement, prompt = self._measure(state, runtime)
        if judgement is None and prompt is not None:
            judgement = self._ask_judge(prompt)
        return self._learn(state, judgement, namespace)

    async def aafter_agent(self, state: MementoAgentState, runtime: Runtime[Any]) -> dict[str, Any]:
        namespace = self._namespace(runtime)
        judgement, prompt = self._measure(state, runtime)
        if judgement is None and prompt is not None:
            judgement = await self._aask_judge(prompt)
        return await asyncio.to_thread(self._learn, state, judgement, namespace)

    def _measure(
        self, state: MementoAgentState, runtime: Runtime[Any]
    ) -> tuple[Judgement | None, tuple[str, str] | None]:
        """The judgement when no model is needed, else the judge's (prompt, method) if any."""
        messages = state["messages"]
        answer = answer_of(messages).strip()
        truth = (state.get("ground_truth") or context_truth(runtime.context) or "").strip()
        measured = measured_judgement(answer, truth, self.scorer)
        if measured is not None:
            return measured, None
        if self.judge is None:
            reason = "no ground truth and no judge model: nothing is learned from this run"
            return Judgement(reward=None, method="none", rationale=reason), None
        return None, judge_prompt(task_of(messages), answer, truth, tool_results(messages))

    def _ask_judge(self, prompt: tuple[str, str]) -> Judgement:
        text, method = prompt
        try:
            chain = self.judge.with_structured_output(Verdict, method="function_calling")
            return verdict_judgement(chain.invoke([HumanMessage(text)]), method)
        except Exception as exc:  # a failed judge means unjudged, never a wrong reward
            return Judgement(reward=None, method=method, rationale=f"unjudged: {exc}")

    async def _aask_judge(self, prompt: tuple[str, str]) -> Judgement:
        text, method = prompt
        try:
            chain = self.judge.with_structured_output(Verdict, method="function_calling")
            return verdict_judgement(await chain.ainvoke([HumanMessage(text)]), method)
        except Exception as exc:  # a failed judge means unjudged, never a wrong reward
            return Judgement(reward=None, method=method, rationale=f"unjudged: {exc}")

    def _learn(
        self, state: MementoAgentState, judgement: Judgement | None, namespace: str
    ) -> dict[str, Any]:
        """Write the case and the visits of the cases and memories shown, and credit the run's
        tools' store searches (train mode, judged runs)."""
        dumped = judgement.model_dump(mode="json") if judgement is not None else None
        update: dict[str, Any] = {"memento_judgement": dumped, "ground_truth": None}
        vector = state.get("memento_task_vector") or []
        task = task_of(state["messages"])
        if self.mode == "eval" or judgement is None or judgement.reward is None:
            return update
        run_id = state.get("memento_run_id") or uuid.uuid4().hex
        credit_retrievals(
            self.bank,
            self.estimator,
            namespace=None,
            run_id=current_run() or run_id,  # the caller's name for the run, if it gave one
            reward=judgement.reward,
        )
        if not vector:
            return update
        case = case_of(state["messages"], task, judgement, namespace, run_id)
        stored = self.bank.add(case, vector)
        shown = [c.case_id for c in cases_of(state)] + [m.memory_id for m in memories_of(state)]
        if shown:
            record_visits(
                self.bank,
                self.estimator,
                [shown],
                [vector],
                [judgement.reward],
                namespace=namespace,
                run_id=run_id,
                unread_ids=state.get("memento_unread") or [],
            )
        return {**update, "memento_case_id": stored.id}
