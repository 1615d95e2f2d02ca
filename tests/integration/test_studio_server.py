"""`langgraph dev` serves the Memento graph offline, and a run through the SDK completes.

The server (`tests/integration/conftest.py`: a free loopback port, the product's Studio
factory over a scripted model and the hashing embedder) is shared with the store tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from graphs import MementoContext, Output

pytest.importorskip("langgraph_api", reason="needs langgraph-cli[inmem] (the test extra)")
langgraph_sdk = pytest.importorskip("langgraph_sdk")

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TASK = "What is 17 * 23 + 4?"
NODES = ["retrieve", "plan", "execute", "plan", "judge", "write_case", "update_q"]


@pytest.fixture
def server(dev_server: str) -> str:
    return dev_server


async def test_studio_sees_the_graph_and_the_context_schema(server: str) -> None:
    client = langgraph_sdk.get_client(url=server)
    (assistant,) = await client.assistants.search(graph_id="memento")
    graph = await client.assistants.get_graph(assistant["assistant_id"])
    nodes = {node["id"] for node in graph["nodes"]}
    assert nodes == {"__start__", "__end__", *NODES, "retrieve_cycle"}
    branches = {(e["source"], e["target"]) for e in graph["edges"] if e.get("conditional")}
    assert branches == {
        ("plan", "execute"),
        ("plan", "judge"),
        ("execute", "plan"),
        ("execute", "retrieve_cycle"),
    }

    schemas = await client.assistants.get_schemas(assistant["assistant_id"])
    context = schemas["context_schema"]["properties"]
    assert set(context) == {f.name for f in fields(MementoContext)}
    assert all(spec.get("description") for spec in context.values())
    assert context["retrieval"]["enum"] == ["similarity", "kernel", "parametric", "memrl", "ucb"]
    assert schemas["input_schema"]["required"] == ["task"]
    assert set(schemas["output_schema"]["properties"]) == set(Output.model_fields)


async def test_a_run_through_the_sdk_streams_every_node_and_completes(server: str) -> None:
    client = langgraph_sdk.get_client(url=server)
    thread = await client.threads.create()
    nodes: list[str] = []
    events: list[str] = []
    async for part in client.runs.stream(
        thread["thread_id"],
        "memento",
        input={"task": "What is 17 * 23 + 4?", "ground_truth": "395"},
        context={"top_k": 2, "namespace": "studio-test"},
        stream_mode=["updates", "custom"],
    ):
        if part.event == "updates":
            nodes.extend(part.data)
        elif part.event == "custom":
            events.append(part.data["event"])
        assert part.event != "error", part.data
    assert nodes == NODES
    assert {"plan", "step", "tool_call", "reward", "case_written"} <= set(events)
    state = await client.threads.get_state(thread["thread_id"])
    values = state["values"]
    assert values["final_answer"] == "395" and values["judgement"]["reward"] == 1.0
    assert values["step_results"][0]["tool_calls"][0]["result"] == "395"  # the real MCP server
    assert values["case_id"]


async def test_a_second_task_on_the_thread_starts_clean(server: str) -> None:
    """Task 2 on task 1's thread, with no ground truth, is self-judged: never against task 1's
    truth ("395", which its answer would match), and it sees none of task 1's steps."""
    client = langgraph_sdk.get_client(url=server)
    thread = await client.threads.create()
    context = {"namespace": "studio-thread"}
    first = {"task": "What is 17 * 23 + 4?", "ground_truth": "395"}
    await client.runs.wait(thread["thread_id"], "memento", input=first, context=context)
    output = await client.runs.wait(
        thread["thread_id"], "memento", input={"task": "Name a colour."}, context=context
    )
    assert set(output) <= set(Output.model_fields) and "task_vector" not in output
    assert output["judgement"]["method"] == "self" and output["run_id"]
    values = (await client.threads.get_state(thread["thread_id"]))["values"]
    assert values["task"] == "Name a colour." and values["truth"] is None
    assert values["judgement"]["method"] == "self"
    assert values["judgement"]["reward"] == 0.0 and "395" not in values["judgement"]["rationale"]
    assert len(values["step_results"]) == 1 and len(values["plans"]) == 2


async def test_an_unknown_context_field_fails_the_run_naming_it(server: str) -> None:
    client = langgraph_sdk.get_client(url=server)
    thread = await client.threads.create()
    errors = []
    async for part in client.runs.stream(
        thread["thread_id"],
        "memento",
        input={"task": "What is 17 * 23 + 4?"},
        context={"topk": 2},
        stream_mode=["updates"],
    ):
        if part.event == "error":
            errors.append(str(part.data))
        assert part.event != "updates", "the run started despite an unknown context field"
    assert errors and "'topk'" in errors[0], errors


async def test_the_cli_reads_the_bank_while_studio_holds_it(server: str, dev_home: Path) -> None:
    """`langgraph dev` holds the default bank and serves it; `memento cases list` reads it."""
    client = langgraph_sdk.get_client(url=server)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "memento", input={"task": TASK})
    assert (dev_home / "bank" / "serving.json").exists()  # the server holds and serves it
    listed = subprocess.run(
        [sys.executable, "-m", "memento", "cases", "list", "--json", "--limit", "100"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MEMENTO_STORE": str(dev_home / "bank")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert TASK in [json.loads(line)["question"] for line in listed.stdout.splitlines()]
