"""The middleware's keys in a `create_agent` agent's state, and what they make of its calls.

`MementoMiddleware` (`memento.middleware`) keeps what it retrieved for a run here, JSON-native,
so the agent's checkpointer stores it: every model call of the run shows the cases and memories
in its system message (`with_shown`), and every tool call names the run for the store
(`naming_run`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, NotRequired

from langchain.agents.middleware import AgentState, ModelRequest
from langchain.agents.middleware.types import OmitFromInput, PrivateStateAttr
from langchain_core.messages import SystemMessage
from langgraph.prebuilt.tool_node import ToolCallRequest

from memory.adapters.store_policy import RUN_KEY
from nodes import prompts
from nodes.plan import format_cases, format_memories
from nodes.schemas import RetrievedCase, ShownMemory


class MementoAgentState(AgentState):
    """The agent's state plus what the middleware reads and keeps.

    `ground_truth` is an optional input; the `memento_*` keys show what was retrieved, the
    run's id (what its case, its visits and its tools' store searches carry) and how the run
    was judged (the task vector is private). The cases, memories and judgement are kept
    JSON-native (`RetrievedCase`, `ShownMemory` and `Judgement` dumped), so the agent's
    checkpointer stores and reads them with no "unregistered type" warning; their
    `model_validate` types them again.
    """

    ground_truth: NotRequired[str | None]
    memento_run_id: NotRequired[Annotated[str | None, OmitFromInput]]
    memento_cases: NotRequired[Annotated[list[dict[str, Any]], OmitFromInput]]
    memento_memories: NotRequired[Annotated[list[dict[str, Any]], OmitFromInput]]
    memento_task_vector: NotRequired[Annotated[list[float], PrivateStateAttr]]
    memento_unread: NotRequired[Annotated[list[str], PrivateStateAttr]]
    memento_judgement: NotRequired[Annotated[dict[str, Any] | None, OmitFromInput]]
    memento_case_id: NotRequired[Annotated[str | None, OmitFromInput]]


def fresh_run(
    cases: list[RetrievedCase],
    vector: list[float],
    *,
    unread: list[str] | None = None,
    memories: list[ShownMemory] | None = None,
) -> dict[str, Any]:
    """The middleware's keys at the start of a run, under a new run id (a thread's earlier run
    is forgotten); `unread` are the candidates scored but not shown, whose visits contrastive
    credit needs."""
    return {
        "memento_run_id": uuid.uuid4().hex,
        "memento_cases": [case.model_dump(mode="json") for case in cases],
        "memento_memories": [memory.model_dump(mode="json") for memory in memories or []],
        "memento_task_vector": vector,
        "memento_unread": unread or [],
        "memento_judgement": None,
        "memento_case_id": None,
    }


def cases_of(state: MementoAgentState) -> list[RetrievedCase]:
    """The run's retrieved cases, typed again from the state's JSON-native values."""
    return [RetrievedCase.model_validate(case) for case in state.get("memento_cases") or []]


def memories_of(state: MementoAgentState) -> list[ShownMemory]:
    """The run's general memories shown, typed again from the state's JSON-native values."""
    return [ShownMemory.model_validate(memory) for memory in state.get("memento_memories") or []]


def with_shown(request: ModelRequest) -> ModelRequest:
    """The request with the retrieved cases and the memories shown appended to its system
    message, the memories under the graph planner's heading (`prompts.MEMORIES_SECTION`)."""
    cases, memories = cases_of(request.state), memories_of(request.state)  # type: ignore[arg-type]
    text = prompts.AGENT_CASES.format(cases=format_cases(cases)) if cases else ""
    if memories:
        text += prompts.MEMORIES_SECTION.format(memories=format_memories(memories))
    text = text.lstrip("\n")
    if not text:
        return request
    if request.system_message is None:
        return request.override(system_message=SystemMessage(text))
    blocks = [*request.system_message.content_blocks, {"type": "text", "text": f"\n\n{text}"}]
    return request.override(system_message=SystemMessage(content=blocks))


def naming_run(request: ToolCallRequest) -> ToolCallRequest:
    """The tool call, run with `configurable["memento_run_id"]` naming the agent's run (unless
    the caller named one), so a store search the tool makes is saved for the run
    (`memory.adapters.store_policy`) and the middleware credits it with the run's reward.

    LangGraph's `ToolNode` runs the tool with the config of the request's `runtime` as it
    made it (`ToolCallRequest.override` takes no config), so the run is named in that config:
    it belongs to this step's tool calls, which all share the run.
    """
    state, runtime = request.state, request.runtime
    run_id = state.get("memento_run_id") if isinstance(state, dict) else None
    config = getattr(runtime, "config", None)
    if run_id and isinstance(config, dict):
        config["configurable"] = {RUN_KEY: run_id, **(config.get("configurable") or {})}
    return request


def context_truth(context: Any) -> str | None:
    """A `ground_truth` in the agent's context (an object or a mapping), if it has one."""
    if isinstance(context, dict):
        return context.get("ground_truth")
    return getattr(context, "ground_truth", None)
