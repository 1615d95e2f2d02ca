"""An endpoint that ignores `stream=true` fails a streamed run with an error naming it.

Token streaming (`stream_mode="messages"`, `astream_events`) makes the chat model ask for a
stream; a server that answers with one JSON body instead left langchain with nothing to
read, and the run ended in a bare `ValueError: No generations found in stream`.
"""

from __future__ import annotations

import pytest

from graphs import build_graph
from memory import CaseBank
from nodes import MementoDeps, ModelEndpointError
from tests.conftest import make_context
from tests.endpoints import json_only_endpoint
from tests.fakes import HashingEmbedder

TASK = {"task": "What is 2 + 2?", "ground_truth": "4"}


@pytest.mark.parametrize("how", ["messages", "events"])
async def test_a_streamed_run_on_a_json_only_endpoint_names_the_endpoint(how: str) -> None:
    with CaseBank(":memory:", dim=64) as bank, json_only_endpoint({"final_answer": "4"}) as url:
        graph = build_graph(MementoDeps(bank=bank, embedder=HashingEmbedder()))
        context = make_context(base_url=url, llm_max_retries=0, mode="eval")
        with pytest.raises(ModelEndpointError, match="ignores stream=true") as raised:
            if how == "messages":
                async for _ in graph.astream(TASK, context=context, stream_mode="messages"):
                    pass
            else:
                async for _ in graph.astream_events(TASK, context=context, version="v2"):
                    pass
        assert url in str(raised.value) and "planner" in str(raised.value)
        # the same endpoint serves a run that does not stream tokens
        out = await graph.ainvoke(TASK, context=context)
        assert out["final_answer"] == "4"
