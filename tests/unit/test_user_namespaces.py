"""One deployment, many users: the namespace comes from the run, and users never meet.

A case written as user A is never retrieved, listed or searched as user B: through the
compiled graph (context `namespace_template` + `user_id`, or `configurable`), through the
agent middleware, and through the bank as a LangGraph store that an agent's tools read.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from langchain.agents import create_agent
from langchain.tools import ToolRuntime, tool
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, ToolMessage

from graphs import Output
from memento.middleware import MementoMiddleware
from memory import CaseBank
from memory.adapters.langgraph_store import MementoStore
from memory.adapters.store_namespaces import NamespaceTemplateError
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, scripted, tool_call
from tests.unit.test_loop import TASK, solve_with_calculator

TEMPLATE = "memento:{user_id}"


async def _run(graph, use_async: bool, *args, **kwargs) -> Output:
    if use_async:
        return Output.model_validate(await graph.ainvoke(*args, **kwargs))
    return Output.model_validate(graph.invoke(*args, **kwargs))


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_the_graph_keeps_each_users_cases_to_that_user(
    graph_for, bank: CaseBank, embedder: HashingEmbedder, use_async: bool
) -> None:
    task = {"task": TASK, "ground_truth": "395"}
    alice = make_context(namespace_template=TEMPLATE, user_id="alice")
    first = await _run(
        graph_for(scripted(*solve_with_calculator("17*23+4", "395"))),
        use_async,
        task,
        context=alice,
    )
    assert bank.get(first.case_id).namespace == "memento:alice"

    # Bob (named in configurable, as a server or a caller's config carries it) finds nothing.
    bob = make_context(namespace_template=TEMPLATE)
    config = {"configurable": {"user_id": "bob"}}
    as_bob = await _run(
        graph_for(scripted(*solve_with_calculator("17*23+4", "395"))),
        use_async,
        task,
        config,
        context=bob,
    )
    assert as_bob.retrieved == [] and bank.get(as_bob.case_id).namespace == "memento:bob"
    assert as_bob.visits_recorded == 0  # nothing of Alice's was credited from Bob's run

    again = await _run(
        graph_for(scripted(*solve_with_calculator("17*23+4", "395"))),
        use_async,
        task,
        context=alice,
    )
    assert [c.case_id for c in again.retrieved] == [first.case_id]
    assert {v.namespace for v in bank.list_visits()} == {"memento:alice"}

    store = MementoStore(bank, embedder)
    assert store.list_namespaces(prefix=("memento",)) == [("memento", "alice"), ("memento", "bob")]
    assert [i.key for i in store.search(("memento", "bob"), query=TASK)] == [as_bob.case_id]
    assert first.case_id not in {i.key for i in store.search(("memento", "bob"))}
    assert store.get(("memento", "bob"), first.case_id) is None


async def test_a_run_without_its_user_fails_and_writes_nothing(graph_for, bank: CaseBank) -> None:
    graph = graph_for(scripted(*solve_with_calculator("17*23+4", "395")))
    with pytest.raises(NamespaceTemplateError, match="needs 'user_id'"):
        await graph.ainvoke(
            {"task": TASK, "ground_truth": "395"}, context=make_context(namespace_template=TEMPLATE)
        )
    with pytest.raises(NamespaceTemplateError, match="is not allowed"):
        await graph.ainvoke(
            {"task": TASK, "ground_truth": "395"},
            {"configurable": {"user_id": "../alice"}},
            context=make_context(namespace_template=TEMPLATE),
        )
    assert bank.count() == 0


async def test_tracing_tags_name_the_runs_namespace(graph_for) -> None:
    seen: list[list[str]] = []

    class Tags(BaseCallbackHandler):
        def on_chat_model_start(self, serialized, messages, *, tags=None, **kwargs) -> None:
            seen.append(tags or [])

    await graph_for(scripted(*solve_with_calculator("17*23+4", "395"))).ainvoke(
        {"task": TASK, "ground_truth": "395"},
        {"callbacks": [Tags()]},
        context=make_context(namespace_template=TEMPLATE, user_id="carol"),
    )
    assert seen and all("namespace:memento:carol" in tags for tags in seen)


@dataclass
class UserContext:
    user_id: str


def _solve(expression: str, answer: str):
    return scripted(tool_call("calculate", expression=expression), AIMessage(content=answer))


@pytest.mark.parametrize("use_async", [False, True], ids=["invoke", "ainvoke"])
async def test_the_middleware_keeps_each_users_cases_to_that_user(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool, use_async: bool
) -> None:
    memento = MementoMiddleware(bank, embedder, k=2, seed=0, namespace=("memento", "{user_id}"))

    async def ask(user: str, **config) -> dict:
        agent = create_agent(
            _solve("17*23+4", "395"),
            [calculator_tool],
            middleware=[memento],
            context_schema=UserContext,
        )
        payload = {"messages": [("user", TASK)], "ground_truth": "395"}
        if use_async:
            return await agent.ainvoke(payload, context=UserContext(user), **config)
        return agent.invoke(payload, context=UserContext(user), **config)

    first = await ask("alice")
    assert bank.get(first["memento_case_id"]).namespace == "memento:alice"
    as_bob = await ask("bob")
    assert (
        as_bob["memento_cases"] == []
        and bank.get(as_bob["memento_case_id"]).namespace == "memento:bob"
    )
    again = await ask("alice")
    assert [c["case_id"] for c in again["memento_cases"]] == [first["memento_case_id"]]
    assert {v.namespace for v in bank.list_visits()} == {"memento:alice"}


async def test_the_middleware_takes_the_user_from_configurable_or_fails(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool
) -> None:
    memento = MementoMiddleware(bank, embedder, namespace="memento:{user_id}")
    agent = create_agent(_solve("17*23+4", "395"), [calculator_tool], middleware=[memento])
    payload = {"messages": [("user", TASK)], "ground_truth": "395"}
    result = await agent.ainvoke(payload, {"configurable": {"user_id": "dave"}})
    assert bank.get(result["memento_case_id"]).namespace == "memento:dave"
    with pytest.raises(NamespaceTemplateError, match="needs 'user_id'"):
        await agent.ainvoke(payload)
    assert bank.count() == 1


def test_a_bad_middleware_namespace_is_refused_when_it_is_made(bank, embedder) -> None:
    with pytest.raises(NamespaceTemplateError, match="must name a value"):
        MementoMiddleware(bank, embedder, namespace=("memento", "{}"))
    with pytest.raises(ValueError, match="label"):
        MementoMiddleware(bank, embedder, namespace=("memento", "a.b"))
    assert MementoMiddleware(bank, embedder, namespace=("team", "x")).namespace == "team:x"


async def test_an_agents_tools_read_only_their_users_cases_through_runtime_store(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    store = MementoStore(bank, embedder)
    for user, answer in [("alice", "395"), ("bob", "396")]:
        value = {"question": TASK, "answer": answer, "reward": 1.0}
        store.put(("memento", user), store.key_for(("memento", user), value), value)

    @tool
    def recall(query: str, runtime: ToolRuntime[UserContext]) -> str:
        """Past answers of this user to questions like the query."""
        hits = runtime.store.search(("memento", runtime.context.user_id), query=query)
        return "; ".join(hit.value["answer"] for hit in hits)

    model = scripted(tool_call("recall", query=TASK), AIMessage(content="done"))
    agent = create_agent(model, [recall], context_schema=UserContext, store=store)
    result = await agent.ainvoke({"messages": [("user", TASK)]}, context=UserContext("alice"))
    (answer,) = [m.content for m in result["messages"] if isinstance(m, ToolMessage)]
    assert answer == "395"
