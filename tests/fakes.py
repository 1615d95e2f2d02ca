"""Test doubles: a scripted chat model (langchain-core's fake) and a deterministic embedder.

They belong in tests only; the product never falls back to them.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

_ids = itertools.count()


class ScriptedChatModel(GenericFakeChatModel):
    """Replies with a fixed script of messages and records every call's tool settings."""

    calls: list[dict[str, Any]] = Field(default_factory=list)
    # The fake cannot stream a tool call; a run that streams (astream_events, "messages")
    # gets each scripted reply whole, as from an endpoint asked not to stream.
    disable_streaming: bool = True

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        schemas = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=schemas, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append({"messages": messages, **kwargs})
        return super()._generate(messages, stop, run_manager, **kwargs)


def scripted(*replies: AIMessage | str) -> ScriptedChatModel:
    """A scripted model whose `calls` list is its own."""
    return ScriptedChatModel(messages=iter(replies), calls=[])


def tool_call(name: str, **args: Any) -> AIMessage:
    """A reply that calls one tool (also how structured output arrives)."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"c{next(_ids)}"}])


def plan_reply(*steps: tuple[str, str | None]) -> AIMessage:
    return tool_call("Plan", steps=[{"description": d, "tool": t} for d, t in steps])


def final_plan_reply(answer: str) -> AIMessage:
    return tool_call("Plan", steps=[], final_answer=answer)


def final_answer_reply(answer: str) -> AIMessage:
    return tool_call("FinalAnswer", answer=answer)


class HashingEmbedder(Embeddings):
    """Bag of hashed words: texts that share words are close; deterministic, no model."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def _embed(self, text: str) -> list[float]:
        vector = np.zeros(self.dim)
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vector[bucket] += 1.0 if digest[4] % 2 else -1.0
        norm = np.linalg.norm(vector)
        if norm == 0:
            vector[0] = 1.0
            norm = 1.0
        return (vector / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


class RuleChatModel(ScriptedChatModel):
    """Answers each call with `rule(messages, kwargs)`: safe under concurrent tasks."""

    rule: Any = None

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        from langchain_core.outputs import ChatGeneration

        self.calls.append({"messages": messages, **kwargs})
        return ChatResult(generations=[ChatGeneration(message=self.rule(messages, kwargs))])


async def run_task(
    graph: Any, task: dict[str, Any], config: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Run one task and return its whole final state (internals included) as typed records.

    A run returns only the graph's output schema, so the state is read the way a caller reads
    it: through a checkpointer (the graph's own, or an `InMemorySaver` on a fresh thread).
    """
    from langgraph.checkpoint.memory import InMemorySaver

    from nodes.state import State

    if graph.checkpointer is None:
        graph = graph.copy(update={"checkpointer": InMemorySaver()})
    if config is None or "thread_id" not in config.get("configurable", {}):
        config = {**(config or {}), "configurable": {"thread_id": uuid.uuid4().hex}}
    await graph.ainvoke(task, config, **kwargs)
    snapshot = await graph.aget_state(config)
    state = State.model_validate(snapshot.values)
    return {name: getattr(state, name) for name in State.model_fields}


@dataclass
class EvalItem:
    """A dataset item as the eval runner reads one."""

    id: str
    question: str
    answers: list[str]


def sums(start: int, count: int, *, tail: str = "") -> list[EvalItem]:
    """Addition questions q{start}..: "What is i plus i+1?" (+ `tail`), answered 2i+1."""
    return [
        EvalItem(f"q{i}", f"What is {i} plus {i + 1}?{tail}", [str(2 * i + 1)])
        for i in range(start, start + count)
    ]
