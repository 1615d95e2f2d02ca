"""Shared fixtures: an in-memory bank, a local calculator tool, graphs with scripted models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.tools import StructuredTool

from graphs import MementoContext, build_graph
from memory import CaseBank
from nodes import MementoDeps
from tests.fakes import HashingEmbedder, ScriptedChatModel
from tools.servers.calculator import calculate_expression


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=64)


@pytest.fixture
def bank() -> CaseBank:
    with CaseBank(":memory:", dim=64) as bank:
        yield bank


@pytest.fixture
def calculator_tool() -> StructuredTool:
    """The calculator's logic as an in-process tool (the MCP server is tested separately)."""
    return StructuredTool.from_function(
        calculate_expression, name="calculate", description="Evaluate an arithmetic expression."
    )


def write_lines(path: Path, lines: list[str]) -> Path:
    """A text file of these lines (a data set in tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_context(**overrides: object) -> MementoContext:
    """A context for tests: in-memory store, no endpoint needed (models are scripted)."""
    values: dict[str, object] = {"store": ":memory:", "base_url": "http://127.0.0.1:9/v1"}
    values.update(overrides)
    return MementoContext(**values)  # type: ignore[arg-type]


@pytest.fixture
def graph_for(bank: CaseBank, embedder: HashingEmbedder, calculator_tool: StructuredTool):
    """Build a graph whose planner/executor/judge all read from one scripted model."""

    def build(model: ScriptedChatModel, tools: list | None = None):
        deps = MementoDeps(
            bank=bank,
            embedder=embedder,
            tools=[calculator_tool] if tools is None else tools,
            chat_model=lambda ctx, role: model,
        )
        return build_graph(deps)

    return build


ContextFactory = Callable[..., MementoContext]
