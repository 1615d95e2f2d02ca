"""The case bank as `langgraph dev`'s store, driven through `langgraph_sdk` as Studio's memory
view and API clients use it; runs of two users through the same server never meet.

The server (`tests/integration/conftest.py`) names `tests.studio_graph.make_store` in its
langgraph.json "store": the product's `graphs.studio_store.store_over` over the graph's
shared resources.
"""

from __future__ import annotations

import httpx
import pytest

from graphs import Output

pytest.importorskip("langgraph_api", reason="needs langgraph-cli[inmem] (the test extra)")
langgraph_sdk = pytest.importorskip("langgraph_sdk")

pytestmark = pytest.mark.integration

TASK = "What is 17 * 23 + 4?"
PER_USER = {"namespace_template": "memento:{user_id}"}


async def _run(client, context: dict) -> Output:
    thread = await client.threads.create()
    output = await client.runs.wait(
        thread["thread_id"], "memento", input={"task": TASK, "ground_truth": "395"}, context=context
    )
    return Output.model_validate(output)


async def test_the_store_api_browses_and_edits_the_case_bank(dev_server: str) -> None:
    client = langgraph_sdk.get_client(url=dev_server)
    namespace = ["memento", "erin"]
    value = {"question": "What is the capital of France?", "answer": "Paris", "reward": 1.0}
    value["provenance"] = "ground_truth"  # a claim the unauthenticated store API must not take
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await client.store.put_item(namespace, "my-key", value)
    assert refused.value.response.status_code == 400
    detail = refused.value.response.json()["detail"]
    assert "is not this case's" in detail
    key = detail.split("put it under key '")[1].split("'")[0]  # the error names the right key

    await client.store.put_item(namespace, key, value)
    item = await client.store.get_item(namespace, key)
    assert item["value"]["answer"] == "Paris" and item["value"]["provenance"] == "imported"
    found = await client.store.search_items(namespace, query="capital city of France")
    assert [i["key"] for i in found["items"]] == [key] and found["items"][0]["score"] > 0.3
    listed = await client.store.list_namespaces(prefix=["memento"])
    assert namespace in listed["namespaces"]

    with pytest.raises(httpx.HTTPStatusError) as immutable:
        await client.store.put_item(namespace, key, {**value, "answer": "Lyon"})
    assert "immutable" in immutable.value.response.json()["detail"]
    assert (await client.store.get_item(namespace, key))["value"]["answer"] == "Paris"

    await client.store.delete_item(namespace, key)
    assert await client.store.get_item(namespace, key) is None


async def test_two_users_runs_stay_apart_in_one_server(dev_server: str) -> None:
    client = langgraph_sdk.get_client(url=dev_server)
    alice = await _run(client, {**PER_USER, "user_id": "alice"})
    assert alice.judgement.reward == 1.0 and alice.case_id

    bob = await _run(client, {**PER_USER, "user_id": "bob"})
    assert bob.retrieved == []  # Alice's case is not Bob's to see
    again = await _run(client, {**PER_USER, "user_id": "alice"})
    assert [c.case_id for c in again.retrieved] == [alice.case_id]

    bobs = await client.store.search_items(["memento", "bob"], query=TASK)
    assert [i["key"] for i in bobs["items"]] == [bob.case_id]
    assert await client.store.get_item(["memento", "bob"], alice.case_id) is None
    alices = await client.store.search_items(["memento", "alice"])
    assert [i["key"] for i in alices["items"]] == [alice.case_id]
    listed = await client.store.list_namespaces(prefix=["memento"])
    assert {("memento", "alice"), ("memento", "bob")} <= {tuple(n) for n in listed["namespaces"]}


async def test_a_run_without_its_user_fails_naming_the_missing_value(dev_server: str) -> None:
    client = langgraph_sdk.get_client(url=dev_server)
    thread = await client.threads.create()
    errors = []
    async for part in client.runs.stream(
        thread["thread_id"],
        "memento",
        input={"task": TASK, "ground_truth": "395"},
        context=PER_USER,
        stream_mode=["updates"],
    ):
        if part.event == "error":
            errors.append(str(part.data))
    assert errors and "needs 'user_id'" in errors[0], errors
