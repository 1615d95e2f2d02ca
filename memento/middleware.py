"""Memento's read and write for any `langchain.agents.create_agent` agent.

    agent = create_agent(model, tools, middleware=[MementoMiddleware(bank, embedder)])
    agent.invoke({"messages": [("user", "What is 17 * 23 + 4?")], "ground_truth": "395"})

Before the agent runs, the middleware retrieves cases for the user's task (the last human
message) with the same policy as the graph's `retrieve` node, and every model call of the run
sees them in its system message. After the agent, it judges the final answer (against
`ground_truth` from the input or the agent's context, else with `judge` if one is given),
writes the task as a case and records a visit (s, c_k, r) for each retrieved case: the
paper's single-step soft-Q update. A task that cannot be judged writes nothing; nor does
`mode="eval"`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NotRequired

import numpy as np
from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain.agents.middleware.types import OmitFromInput, PrivateStateAttr
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.tool import ToolCall
from langgraph.runtime import Runtime

from graphs.context import Scorer
from memory import Case, CaseBank, KernelQ, QEstimator
from memory.retrieval import choose_cases, rank_cases, record_visits
from memory.soft_policy import Mode
from nodes import prompts
from nodes.judge import Verdict, judge_prompt, measured_judgement, verdict_judgement
from nodes.models import message_text, truncate
from nodes.plan import format_cases
from nodes.schemas import Judgement, RetrievedCase
from nodes.write_case import TRAJECTORY_FIELD_CHARS as _CHARS

ModelCall = Callable[[ModelRequest], ModelResponse]
AsyncModelCall = Callable[[ModelRequest], Awaitable[ModelResponse]]


class MementoAgentState(AgentState):
    """The agent's state plus what the middleware reads and keeps.

    `ground_truth` is an optional input; the `memento_*` keys show what was retrieved and how
    the run was judged (the task vector is private).
    """

    ground_truth: NotRequired[str | None]
    memento_cases: NotRequired[Annotated[list[RetrievedCase], OmitFromInput]]
    memento_task_vector: NotRequired[Annotated[list[float], PrivateStateAttr]]
    memento_judgement: NotRequired[Annotated[Judgement | None, OmitFromInput]]
    memento_case_id: NotRequired[Annotated[str | None, OmitFromInput]]


class MementoMiddleware(AgentMiddleware[MementoAgentState, Any]):
    """Case-based memory with a learned retrieval policy for a `create_agent` agent."""

    state_schema = MementoAgentState

    def __init__(
        self,
        bank: CaseBank,
        embedder: Embeddings,
        *,
        k: int = 4,
        num_candidates: int = 32,
        alpha: float = 0.1,
        mode: Mode = "train",
        namespace: str = "default",
        estimator: QEstimator | None = None,
        judge: BaseChatModel | None = None,
        scorer: Scorer = "auto",
        seed: int | None = None,
    ) -> None:
        """`estimator` defaults to kernel Q over the bank; `judge` is only asked when a run
        has no ground truth (or `scorer="llm"`)."""
        if not 1 <= k <= num_candidates:
            raise ValueError(f"k must be in [1, num_candidates={num_candidates}], got {k}")
        self.bank = bank
        self.embedder = embedder
        self.k, self.num_candidates, self.alpha = k, num_candidates, alpha
        self.mode, self.namespace, self.scorer = mode, namespace, scorer
        self.estimator = estimator or KernelQ(bank)
        self.judge = judge
        self.rng = np.random.default_rng(seed)
        self.tools = []

    # -- before the agent: retrieve ---------------------------------------------------------
    def before_agent(self, state: MementoAgentState, runtime: Runtime[Any]) -> dict[str, Any]:
        task = _task_of(state["messages"])
        if not task:
            return _fresh_run([], [])
        return self._retrieve(task, self.embedder.embed_query(task))

    async def abefore_agent(
        self, state: MementoAgentState, runtime: Runtime[Any]
    ) -> dict[str, Any]:
        task = _task_of(state["messages"])
        if not task:
            return _fresh_run([], [])
        vector = await self.embedder.aembed_query(task)
        return await asyncio.to_thread(self._retrieve, task, vector)

    def _retrieve(self, task: str, vector: list[float]) -> dict[str, Any]:
        ranked = rank_cases(
            self.bank,
            self.estimator,
            vector,
            namespace=self.namespace,
            limit=self.num_candidates,
            alpha=self.alpha,
        )
        chosen = choose_cases(ranked, self.k, alpha=self.alpha, mode=self.mode, rng=self.rng)
        return _fresh_run(
            [RetrievedCase.from_ranked(r) for r in chosen], [float(x) for x in vector]
        )

    # -- every model call: show the cases ---------------------------------------------------
    def wrap_model_call(self, request: ModelRequest, handler: ModelCall) -> ModelResponse:
        return handler(_with_cases(request))

    async def awrap_model_call(
        self, request: ModelRequest, handler: AsyncModelCall
    ) -> ModelResponse:
        return await handler(_with_cases(request))

    # -- after the agent: judge, write the case, update Q ------------------------------------
    def after_agent(self, state: MementoAgentState, runtime: Runtime[Any]) -> dict[str, Any]:
        judgement, prompt = self._measure(state, runtime)
        if judgement is None and prompt is not None:
            judgement = self._ask_judge(prompt)
        return self._learn(state, judgement)

    async def aafter_agent(self, state: MementoAgentState, runtime: Runtime[Any]) -> dict[str, Any]:
        judgement, prompt = self._measure(state, runtime)
        if judgement is None and prompt is not None:
            judgement = await self._aask_judge(prompt)
        return await asyncio.to_thread(self._learn, state, judgement)

    def _measure(
        self, state: MementoAgentState, runtime: Runtime[Any]
    ) -> tuple[Judgement | None, tuple[str, str] | None]:
        """The judgement when no model is needed, else the judge's (prompt, method) if any."""
        messages = state["messages"]
        answer = _answer_of(messages).strip()
        truth = (state.get("ground_truth") or _context_truth(runtime.context) or "").strip()
        measured = measured_judgement(answer, truth, self.scorer)
        if measured is not None:
            return measured, None
        if self.judge is None:
            reason = "no ground truth and no judge model: nothing is learned from this run"
            return Judgement(reward=None, method="none", rationale=reason), None
        return None, judge_prompt(_task_of(messages), answer, truth, _tool_results(messages))

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

    def _learn(self, state: MementoAgentState, judgement: Judgement | None) -> dict[str, Any]:
        """Write the case and the visits of the retrieved cases (train mode, judged runs)."""
        update: dict[str, Any] = {"memento_judgement": judgement, "ground_truth": None}
        vector = state.get("memento_task_vector") or []
        task = _task_of(state["messages"])
        if self.mode == "eval" or judgement is None or judgement.reward is None or not vector:
            return update
        run_id = uuid.uuid4().hex
        case = _case_of(state["messages"], task, judgement, self.namespace, run_id)
        stored = self.bank.add(case, vector)
        retrieved = [c.case_id for c in state.get("memento_cases") or []]
        if retrieved:
            record_visits(
                self.bank,
                self.estimator,
                retrieved,
                [vector],
                [judgement.reward],
                namespace=self.namespace,
                run_id=run_id,
            )
        return {**update, "memento_case_id": stored.id}


def _fresh_run(cases: list[RetrievedCase], vector: list[float]) -> dict[str, Any]:
    """The middleware's keys at the start of a run (a thread's earlier run is forgotten)."""
    return {
        "memento_cases": cases,
        "memento_task_vector": vector,
        "memento_judgement": None,
        "memento_case_id": None,
    }


def _with_cases(request: ModelRequest) -> ModelRequest:
    """The request with the retrieved cases appended to its system message."""
    cases = request.state.get("memento_cases") or []
    if not cases:
        return request
    text = prompts.AGENT_CASES.format(cases=format_cases(cases))
    if request.system_message is None:
        return request.override(system_message=SystemMessage(text))
    blocks = [*request.system_message.content_blocks, {"type": "text", "text": f"\n\n{text}"}]
    return request.override(system_message=SystemMessage(content=blocks))


def _task_of(messages: list[AnyMessage]) -> str:
    """The user's task: the last human message."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message_text(message).strip()
    return ""


def _since_task(messages: list[AnyMessage]) -> list[AnyMessage]:
    """The messages of this run: everything after the last human message."""
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return messages[i + 1 :]
    return list(messages)


def _answer_of(messages: list[AnyMessage]) -> str:
    """The agent's final answer: its last AI message without tool calls."""
    for message in reversed(_since_task(messages)):
        if isinstance(message, AIMessage) and not message.tool_calls:
            return message_text(message)
    return ""


def _tool_results(messages: list[AnyMessage]) -> str:
    """This run's tool results as numbered lines, for a self-judgement."""
    results = [m for m in _since_task(messages) if isinstance(m, ToolMessage)]
    return "\n".join(
        f"{i}. {m.name or 'tool'} -> {truncate(message_text(m), _CHARS)}"
        for i, m in enumerate(results, start=1)
    )


def _case_of(
    messages: list[AnyMessage], task: str, judgement: Judgement, namespace: str, run_id: str
) -> Case:
    """The run as a case: its tool calls are the plan and, with their results, the trajectory."""
    run = _since_task(messages)
    results = {m.tool_call_id: m for m in run if isinstance(m, ToolMessage)}
    turns = [m for m in run if isinstance(m, AIMessage) and m.tool_calls]
    plan = [
        f"call {c['name']} with {truncate(json.dumps(c.get('args') or {}), 200)} [{c['name']}]"
        for turn in turns
        for c in turn.tool_calls
    ]
    trajectory = [
        {
            "cycle": number,
            "step": truncate(message_text(turn) or f"tool calls, turn {number}", _CHARS),
            "output": "",
            "error": None,
            "tool_calls": [
                _call_record(c, results.get(c.get("id") or "")) for c in turn.tool_calls
            ],
        }
        for number, turn in enumerate(turns, start=1)
    ]
    now = time.time()
    return Case(
        id="",
        namespace=namespace,
        question=task,
        plan=plan,
        trajectory=trajectory,
        answer=_answer_of(messages).strip(),
        reward=float(judgement.reward or 0.0),
        judge_rationale=judgement.rationale,
        run_id=run_id,
        created_at=now,
        updated_at=now,
    )


def _call_record(call: ToolCall, reply: ToolMessage | None) -> dict[str, Any]:
    """One tool call and its result, cut like the graph's write_case node cuts them."""
    return {
        "name": call["name"],
        "args": {k: truncate(str(v), _CHARS) for k, v in (call.get("args") or {}).items()},
        "result": truncate(message_text(reply), _CHARS) if reply is not None else "",
        "error": reply is not None and reply.status == "error",
    }


def _context_truth(context: Any) -> str | None:
    """A `ground_truth` in the agent's context (an object or a mapping), if it has one."""
    if isinstance(context, dict):
        return context.get("ground_truth")
    return getattr(context, "ground_truth", None)
