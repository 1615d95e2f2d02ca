"""The checkpointers' serializer stores no secret, whatever the value (the graph's input
included), and changes nothing the running graph sees."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from graphs import build_graph
from graphs.checkpoints import checkpoint_serializer, memory_checkpointer
from memory import CaseBank
from nodes import MementoDeps
from nodes.schemas import StepResult
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, final_plan_reply, scripted

KEY = "sk-checkpoint-0123456789abcdef"
MARK = "[redacted OPENAI_API_KEY]"


@pytest.fixture(autouse=True)
def planted_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def _leaked(data: bytes) -> list[str]:
    forms = {
        "as written": KEY,
        "base64": base64.b64encode(KEY.encode()).decode()[:-2],
        "the key's body": KEY[3:],
    }
    return [name for name, form in forms.items() if form.encode() in data]


def _bytes_in(value: Any) -> Iterator[bytes]:
    """Every byte string a saver holds (its checkpoints, writes and blobs as serialized)."""
    if isinstance(value, bytes):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _bytes_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _bytes_in(item)


def test_every_string_key_and_byte_string_of_a_value_is_redacted_where_it_is_stored() -> None:
    value = {
        "task": f"use {KEY}",
        KEY: [KEY.encode(), {f"arg_{KEY}": 1}],
        "messages": [AIMessage(content=f"the key is {KEY}")],
        "record": StepResult(cycle=0, description=f"call with {KEY}", output="ok"),
    }
    serde = checkpoint_serializer()
    kind, data = serde.dumps_typed(value)
    assert _leaked(data) == []
    back = serde.loads_typed((kind, data))
    assert back["task"] == f"use {MARK}"
    assert back[MARK] == [MARK.encode(), {f"arg_{MARK}": 1}]
    assert back["messages"][0].content == f"the key is {MARK}"
    assert back["record"].description == f"call with {MARK}"


def test_a_value_without_a_secret_is_stored_exactly_as_langgraph_stores_it() -> None:
    value = {"task": "17 * 23 + 4", "vector": [0.25, -1.5], "messages": [AIMessage("395")]}
    assert checkpoint_serializer().dumps_typed(value) == JsonPlusSerializer().dumps_typed(value)
    assert checkpoint_serializer().dumps_typed(KEY.encode())[1] == MARK.encode()


async def test_the_graph_input_reaches_no_checkpoint_and_the_run_still_sees_it(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    """A task holding the key (and its base64): the planner is shown the task as given and
    the answer is judged against the run's own ground truth, while nothing the saver holds,
    the `__start__` write included, holds the key."""
    encoded = base64.b64encode(f"auth={KEY};".encode()).decode()
    task = f"What is 6 * 7? (token {KEY}, {encoded})"
    model = scripted(final_plan_reply("42"))
    saver = memory_checkpointer()
    deps = MementoDeps(bank=bank, embedder=embedder, tools=[], chat_model=lambda c, r: model)
    graph = build_graph(deps, checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    out = await graph.ainvoke({"task": task, "ground_truth": "42"}, config, context=make_context())
    assert out["judgement"]["reward"] == 1.0
    shown = "".join(str(m.content) for call in model.calls for m in call["messages"])
    assert task in shown  # the running graph's task is the caller's, unredacted
    stored = b"".join(_bytes_in((saver.storage, saver.writes, saver.blobs)))
    assert _leaked(stored) == [] and encoded.encode() not in stored
    assert (await graph.aget_state(config)).values["task"].startswith("What is 6 * 7? (token [")
