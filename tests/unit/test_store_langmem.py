"""LangMem's memory tools and LangGraph's memory recipe, unchanged, on `MementoStore`.

A LangMem user's only change is the store: `create_manage_memory_tool` and
`create_search_memory_tool` find it through `get_store()` inside a graph compiled with
`store=MementoStore(...)`, and the user id from the run's `configurable`.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypedDict

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langmem import create_manage_memory_tool, create_search_memory_tool

from memory import CaseBank
from memory.adapters.langgraph_store import MementoStore
from tests.fakes import HashingEmbedder, scripted, tool_call

NAMESPACE = ("memories", "{langgraph_user_id}")


class Calls(TypedDict, total=False):
    calls: list[tuple[str, dict[str, Any]]]
    out: list[Any]


@pytest.fixture
def store(bank: CaseBank) -> MementoStore:
    return MementoStore(bank, HashingEmbedder(dim=64))


def _tool_graph(store: MementoStore):
    """A graph whose one node invokes LangMem's tools as scripted by its input."""
    tools = {
        "manage": create_manage_memory_tool(namespace=NAMESPACE),
        "search": create_search_memory_tool(namespace=NAMESPACE),
    }

    def node(state: Calls) -> Calls:
        return {"out": [tools[name].invoke(args) for name, args in state["calls"]]}

    builder = StateGraph(Calls)
    builder.add_node("tools", node)
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    return builder.compile(store=store)


def _run(graph, user: str, *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    config = {"configurable": {"langgraph_user_id": user}}
    return graph.invoke({"calls": list(calls)}, config)["out"]


def test_langmem_tools_create_search_update_delete_through_the_store(
    store: MementoStore,
) -> None:
    graph = _tool_graph(store)
    (created,) = _run(graph, "alice", ("manage", {"content": "Alice likes thai food"}))
    memory_id = re.fullmatch(r"created memory (\S+)", created).group(1)
    _run(graph, "alice", ("manage", {"content": "Alice has a cat called Tom"}))
    (found,) = _run(graph, "alice", ("search", {"query": "thai food"}))
    hits = json.loads(found)
    assert hits[0]["key"] == memory_id and hits[0]["value"] == {"content": "Alice likes thai food"}
    assert hits[0]["namespace"] == ["memories", "alice"] and len(hits) == 2
    assert json.loads(_run(graph, "bob", ("search", {"query": "thai food"}))[0]) == []

    update = {"content": "Alice now prefers sushi", "action": "update", "id": memory_id}
    (updated,) = _run(graph, "alice", ("manage", update))
    assert updated == f"updated memory {memory_id}"
    item = store.get(("memories", "alice"), memory_id)
    assert item.value == {"content": "Alice now prefers sushi"}
    assert (
        json.loads(_run(graph, "alice", ("search", {"query": "sushi"}))[0])[0]["key"] == memory_id
    )
    assert len(store.search(("memories", "alice"))) == 2  # an update, not a new memory

    (deleted,) = _run(graph, "alice", ("manage", {"action": "delete", "id": memory_id}))
    assert deleted == f"Deleted memory {memory_id}"
    assert store.get(("memories", "alice"), memory_id) is None
    assert [
        h["value"]["content"]
        for h in json.loads(_run(graph, "alice", ("search", {"query": "x"}))[0])
    ] == ["Alice has a cat called Tom"]


async def test_langmem_tools_async(store: MementoStore) -> None:
    config = {"configurable": {"langgraph_user_id": "alice"}}
    manage = create_manage_memory_tool(namespace=NAMESPACE)
    search = create_search_memory_tool(namespace=NAMESPACE)

    async def node(state: Calls) -> Calls:
        await manage.ainvoke({"content": "Alice plays chess"})
        return {"out": [await search.ainvoke({"query": "chess"})]}

    builder = StateGraph(Calls)
    builder.add_node("tools", node)
    builder.add_edge(START, "tools")
    graph = builder.compile(store=store)
    out = (await graph.ainvoke({"calls": []}, config))["out"]
    assert json.loads(out[0])[0]["value"] == {"content": "Alice plays chess"}


def test_langgraph_memory_recipe_runtime_store(store: MementoStore) -> None:
    """The recipe of LangGraph's memory docs: a node reads and writes `runtime.store`."""

    class State(TypedDict, total=False):
        message: str
        recalled: list[str]

    def remember(state: State, runtime: Runtime) -> State:
        namespace = ("memories", "u1")
        recalled = [
            m.value["memory"] for m in runtime.store.search(namespace, query=state["message"])
        ]
        runtime.store.put(namespace, f"m{len(recalled)}", {"memory": state["message"]})
        return {"recalled": recalled}

    builder = StateGraph(State)
    builder.add_node("remember", remember)
    builder.add_edge(START, "remember")
    graph = builder.compile(store=store)
    assert graph.invoke({"message": "I like thai food"})["recalled"] == []
    assert graph.invoke({"message": "what food do I like"})["recalled"] == ["I like thai food"]
    assert store.get(("memories", "u1"), "m1").value == {"memory": "what food do I like"}


def test_create_agent_with_langmem_tools_and_the_store(store: MementoStore) -> None:
    model = scripted(
        tool_call("manage_memory", content="The user's name is Ada"),
        tool_call("search_memory", query="user name"),
        AIMessage(content="Your name is Ada."),
    )
    agent = create_agent(
        model=model,
        tools=[
            create_manage_memory_tool(namespace=NAMESPACE),
            create_search_memory_tool(namespace=NAMESPACE),
        ],
        store=store,
    )
    config = {"configurable": {"langgraph_user_id": "ada"}}
    result = agent.invoke({"messages": [HumanMessage("Remember my name is Ada")]}, config)
    searched = json.loads(result["messages"][-2].content)
    assert searched[0]["value"] == {"content": "The user's name is Ada"}
    assert [i.value for i in store.search(("memories", "ada"))] == [
        {"content": "The user's name is Ada"}
    ]
