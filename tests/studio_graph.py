"""A test-only graph module for `langgraph dev`: the Studio factory and store, scripted parts.

The server test writes a langgraph.json naming `tests.studio_graph:make_graph`, so the real
factory (`graphs.studio.graph_factory`: shared resources, the bundled calculator over MCP
stdio, the settings from MEMENTO_* variables) runs inside the real server, with only the
chat model and the embedder swapped for a rule-based model and the hashing embedder. The
product's `graphs/studio.py:make_graph` has no such seam: it never falls back to a fake.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from graphs.studio import graph_factory, served
from graphs.studio_app import lifespan_app
from graphs.studio_store import store_over
from tests.fakes import HashingEmbedder, RuleChatModel, final_plan_reply, plan_reply, tool_call

TASK = "What is 17 * 23 + 4?"


def _reply(messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
    """Whatever the task: plan one calculator step, compute 17 * 23 + 4, answer 395; a judge
    without a reference answer says it cannot verify the answer."""
    first = str(messages[0].content)
    if first.startswith("You are the planner"):
        if any("Results of the steps run so far" in str(m.content) for m in messages):
            return final_plan_reply("395")
        return plan_reply(("compute the expression", "calculate"))
    if first.startswith("You are the executor"):
        if any(isinstance(m, ToolMessage) for m in messages):
            return AIMessage(content="The result is 395.")
        return tool_call("calculate", expression="17 * 23 + 4")
    return tool_call("Verdict", correct=False, rationale="cannot verify the answer")


MODEL = RuleChatModel(messages=iter(()), calls=[], rule=_reply)

studio_graphs = graph_factory(embedder=HashingEmbedder(dim=64), chat_model=lambda ctx, role: MODEL)
make_graph = served(studio_graphs)

app = lifespan_app(studio_graphs)  # opens the resources at server start, closes them at stop
make_store = store_over(studio_graphs)  # the bank as the server's store (langgraph.json "store")
