"""The middleware's keys in a `create_agent` agent's state, and the system message they make.

`MementoMiddleware` (`memento.middleware`) keeps what it retrieved for a run here, JSON-native,
so the agent's checkpointer stores it; every model call of the run reads it back.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from langchain.agents.middleware import AgentState, ModelRequest
from langchain.agents.middleware.types import OmitFromInput, PrivateStateAttr
from langchain_core.messages import SystemMessage

from nodes import prompts
from nodes.plan import format_cases
from nodes.schemas import RetrievedCase


class MementoAgentState(AgentState):
    """The agent's state plus what the middleware reads and keeps.

    `ground_truth` is an optional input; the `memento_*` keys show what was retrieved and how
    the run was judged (the task vector is private). The cases and the judgement are kept
    JSON-native (`RetrievedCase` and `Judgement` dumped), so the agent's checkpointer stores
    and reads them with no "unregistered type" warning; `RetrievedCase.model_validate` and
    `Judgement.model_validate` type them again.
    """

    ground_truth: NotRequired[str | None]
    memento_cases: NotRequired[Annotated[list[dict[str, Any]], OmitFromInput]]
    memento_task_vector: NotRequired[Annotated[list[float], PrivateStateAttr]]
    memento_unread: NotRequired[Annotated[list[str], PrivateStateAttr]]
    memento_judgement: NotRequired[Annotated[dict[str, Any] | None, OmitFromInput]]
    memento_case_id: NotRequired[Annotated[str | None, OmitFromInput]]


def fresh_run(
    cases: list[RetrievedCase], vector: list[float], *, unread: list[str] | None = None
) -> dict[str, Any]:
    """The middleware's keys at the start of a run (a thread's earlier run is forgotten);
    `unread` are the candidates scored but not shown, whose visits contrastive credit needs."""
    return {
        "memento_cases": [case.model_dump(mode="json") for case in cases],
        "memento_task_vector": vector,
        "memento_unread": unread or [],
        "memento_judgement": None,
        "memento_case_id": None,
    }


def cases_of(state: MementoAgentState) -> list[RetrievedCase]:
    """The run's retrieved cases, typed again from the state's JSON-native values."""
    return [RetrievedCase.model_validate(case) for case in state.get("memento_cases") or []]


def with_cases(request: ModelRequest) -> ModelRequest:
    """The request with the retrieved cases appended to its system message."""
    cases = cases_of(request.state)  # type: ignore[arg-type]
    if not cases:
        return request
    text = prompts.AGENT_CASES.format(cases=format_cases(cases))
    if request.system_message is None:
        return request.override(system_message=SystemMessage(text))
    blocks = [*request.system_message.content_blocks, {"type": "text", "text": f"\n\n{text}"}]
    return request.override(system_message=SystemMessage(content=blocks))


def context_truth(context: Any) -> str | None:
    """A `ground_truth` in the agent's context (an object or a mapping), if it has one."""
    if isinstance(context, dict):
        return context.get("ground_truth")
    return getattr(context, "ground_truth", None)
