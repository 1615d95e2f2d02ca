"""The real default LLM: llama.cpp's server with SmolLM2, driven through ChatOpenAI.

SmolLM2-135M is tiny: these tests check the plumbing (the server starts, answers, honours token
limits, and a forced tool choice yields a tool call), not the quality of its answers.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from memento.local_llm import LocalServer, local_llm_available, local_llm_server

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not local_llm_available(),
        reason='llama-cpp-python[server] is not installed: pip install -e ".[local]"',
    ),
]


class CityAnswer(BaseModel):
    """The answer to a question about a city."""

    answer: str = Field(description="the answer, one or two words")


@tool
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression such as 17 * 23 + 4."""
    return expression


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[LocalServer]:
    async with local_llm_server(startup_timeout_s=120) as running:
        yield running
    with pytest.raises(ProcessLookupError):
        os.kill(running.pid, 0)


def chat_model(server: LocalServer, max_tokens: int) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=server.base_url,
        api_key="none",  # type: ignore[arg-type]
        model=server.model,
        temperature=0,
        max_tokens=max_tokens,
        timeout=120,
        max_retries=0,
    )


async def test_chat_completion_returns_text(server: LocalServer) -> None:
    reply = await chat_model(server, 32).ainvoke("What is the capital of France?")
    assert isinstance(reply.content, str)
    assert reply.content.strip()


async def test_token_limit_set_on_chat_openai_applies(server: LocalServer) -> None:
    reply = await chat_model(server, 8).ainvoke("Write a long story about the sea.")
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] <= 8


async def test_forced_tool_choice_yields_a_tool_call(server: LocalServer) -> None:
    llm = chat_model(server, 48).bind_tools([calculate], tool_choice="calculate")
    reply = await llm.ainvoke("What is 17 * 23 + 4?")
    # The server always answers a forced choice with a call; whether SmolLM2 closes the JSON of
    # its arguments within the limit is up to the model (LangChain then calls it invalid).
    calls = [*reply.tool_calls, *reply.invalid_tool_calls]
    assert [call["name"] for call in calls] == ["calculate"]
    assert "expression" in str(calls[0]["args"])


async def test_structured_output_by_function_calling(server: LocalServer) -> None:
    llm = chat_model(server, 48).with_structured_output(CityAnswer, method="function_calling")
    result = await llm.ainvoke("What is the capital of France?")
    assert isinstance(result, CityAnswer)
    assert result.answer.strip()
