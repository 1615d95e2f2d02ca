"""A test-only graph module for `langgraph dev`: Memento's Studio factory over scripted parts.

The server test writes a langgraph.json naming `tests.studio_graph:make_graph`, so the real
factory (`graphs.studio.graph_factory`: shared resources, the bundled calculator over MCP
stdio, the settings from MEMENTO_* variables) runs inside the real server, with only the
chat model and the embedder swapped for the scripted model and the hashing embedder. The
product's `graphs/studio.py:make_graph` has no such seam: it never falls back to a fake.
"""

from __future__ import annotations

import itertools

from langchain_core.messages import AIMessage

from graphs.studio import graph_factory
from graphs.studio_app import lifespan_app
from tests.fakes import HashingEmbedder, ScriptedChatModel, final_plan_reply, plan_reply, tool_call

TASK = "What is 17 * 23 + 4?"


def _script() -> list[AIMessage]:
    """Planner plans one calculator step, executor calls it, planner answers (one task)."""
    return [
        plan_reply(("compute the expression", "calculate")),
        tool_call("calculate", expression="17 * 23 + 4"),
        AIMessage(content="The result is 395."),
        final_plan_reply("395"),
    ]


# The script repeats, so every run of TASK through this server gets the same replies.
MODEL = ScriptedChatModel(messages=itertools.cycle(_script()), calls=[])

make_graph = graph_factory(embedder=HashingEmbedder(dim=64), chat_model=lambda ctx, role: MODEL)

app = lifespan_app(make_graph)  # opens the resources at server start, closes them at stop
