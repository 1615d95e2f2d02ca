"""What the Memento loop itself costs per task: the real graph with an instant model and tool.

Each task runs the compiled graph (retrieve, plan, execute, plan, judge, write_case, update_q)
with a scripted chat model (tests/fakes.py) and the calculator as an in-process tool, over a
bank (Qdrant Edge unless --store says otherwise) seeded with synthetic cases. Overhead = task
wall time minus the time spent inside the model's replies and the tool's function: LangGraph,
LangChain's model and tool wrappers, prompts, parsing, the embedder (a hashing one, ~0.1 ms) and
the case bank.

    python -m benchmarks.graph_overhead
    python -m benchmarks.graph_overhead --tasks 300 --bank-size 10000 --out overhead.json
    python -m benchmarks.graph_overhead --store local      # Qdrant's local mode, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool
from langgraph.graph.state import CompiledStateGraph

from benchmarks.bank_scale import location_for
from benchmarks.report import emit, percentiles
from benchmarks.scale_data import SyntheticBank
from graphs import MementoContext, build_graph
from memory import CaseBank
from nodes import MementoDeps
from tests.fakes import HashingEmbedder, ScriptedChatModel, final_plan_reply, plan_reply, tool_call
from tools.servers.calculator import calculate_expression

TARGET_P50_MS = 30.0


class TimedModel(ScriptedChatModel):
    """The scripted model, adding up the time spent producing its replies."""

    seconds: float = 0.0

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return super()._generate(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


class Clock:
    """The time spent inside the calculator's function."""

    seconds = 0.0

    def calculate(self, expression: str) -> str:
        start = time.perf_counter()
        try:
            return calculate_expression(expression)
        finally:
            self.seconds += time.perf_counter() - start


def script(i: int) -> TimedModel:
    answer = str(17 * 23 + i)
    replies = [
        plan_reply(("compute the expression", "calculate")),
        tool_call("calculate", expression=f"17 * 23 + {i}"),
        AIMessage(content=f"The result is {answer}."),
        final_plan_reply(answer),
    ]
    return TimedModel(messages=iter(replies), calls=[])


def scripted_graph(
    args: argparse.Namespace, folder: Path, embedder: Embeddings, tool: StructuredTool
) -> tuple[CaseBank, CompiledStateGraph, MementoContext, dict[str, TimedModel]]:
    """The compiled graph over a synthetic bank of `args.bank_size` cases (engine `args.store`)
    whose models are whatever `current["m"]` holds when a task runs (set it per task)."""
    bank = CaseBank(location_for(args.store, folder), dim=384)
    with bank.bulk_import():
        for chunk in SyntheticBank(args.bank_size).case_chunks():
            bank.add_many(chunk)
    current: dict[str, TimedModel] = {}
    deps = MementoDeps(
        bank=bank, embedder=embedder, tools=[tool], chat_model=lambda ctx, role: current["m"]
    )
    context = MementoContext(store=bank.location, base_url="http://127.0.0.1:9/v1")
    return bank, build_graph(deps), context, current


async def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    clock = Clock()
    tool = StructuredTool.from_function(
        clock.calculate, name="calculate", description="Evaluate an arithmetic expression."
    )
    bank, graph, context, current = scripted_graph(args, folder, HashingEmbedder(dim=384), tool)
    totals, overheads = [], []
    with bank:
        for i in range(args.tasks + args.warmup):
            current["m"] = script(i)
            clock.seconds = 0.0
            start = time.perf_counter()
            result = await graph.ainvoke(
                {"task": f"What is 17 * 23 + {i}?", "ground_truth": str(17 * 23 + i)},
                context=context,
            )
            total = time.perf_counter() - start
            assert result["judgement"]["reward"] == 1.0, result
            if i >= args.warmup:
                totals.append(total)
                overheads.append(total - current["m"].seconds - clock.seconds)
        engine = bank.engine
    return {
        "engine": engine,
        "bank_size": args.bank_size,
        "total": percentiles(totals),
        "overhead": percentiles(overheads),
        "target_p50_ms": TARGET_P50_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--bank-size", type=int, default=1000, help="seeded cases")
    parser.add_argument("--store", choices=["edge", "local", "memory"], default="edge")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures = asyncio.run(run(args, Path(scratch)))
    p50 = figures["overhead"]["p50_ms"]
    verdict = "met" if p50 <= TARGET_P50_MS else "missed"
    summary = (
        f"overhead p50 {p50} ms, p95 {figures['overhead']['p95_ms']} ms per task "
        f"({figures['engine']}, {args.bank_size} cases); target <= {TARGET_P50_MS} ms {verdict}"
    )
    emit("graph_overhead", figures, summary, args.out)


if __name__ == "__main__":
    main()
