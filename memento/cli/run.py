"""`memento run "task"`: one task through the loop, with its progress printed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from graphs import build_graph
from graphs.resources import open_resources
from graphs.settings import MementoSettings
from memento.cli.endpoint import model_endpoint
from memento.cli.options import add_settings_options, settings_from_args
from memento.cli.progress import ProgressPrinter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="solve one task, learning from past cases")
    parser.add_argument("task", help="the question or instruction to solve")
    parser.add_argument("--ground-truth", help="the correct answer, to measure the reward")
    add_settings_options(parser)
    parser.add_argument("--mode", choices=["train", "eval"], help="eval: nothing is written")
    parser.add_argument("--retrieval", choices=["similarity", "kernel", "parametric"])
    parser.add_argument("--model", help="planner, executor and judge model")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (default: OpenAI)")
    parser.add_argument("--max-cycles", type=int, help="plan-execute cycles before answering")
    parser.add_argument("--tools", help="comma-separated MCP servers to start (default: all)")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    if not args.task.strip():
        print("memento run: the task is empty", file=sys.stderr)
        return 2
    model = args.model
    settings = settings_from_args(
        args,
        mode=args.mode,
        retrieval=args.retrieval,
        base_url=args.base_url,
        max_cycles=args.max_cycles,
        planner_model=model,
        executor_model=model,
        judge_model=model,
    )
    if args.tools:
        settings.enabled_servers = [name.strip() for name in args.tools.split(",") if name.strip()]
    task = {"task": args.task, "ground_truth": args.ground_truth}
    asyncio.run(run_task(settings, task, ProgressPrinter(sys.stdout)))
    return 0


async def run_task(
    settings: MementoSettings, task: dict[str, Any], printer: ProgressPrinter
) -> dict[str, Any]:
    """Open the run's resources, stream the task through the graph, and return its last state."""
    async with model_endpoint(settings) as settings, open_resources(settings) as deps:
        ctx = settings.context
        printer.say(f"models  planner={ctx.planner_model} executor={ctx.executor_model}")
        printer.say(f"store   {ctx.store} (namespace {ctx.namespace}, {ctx.mode} mode)")
        printer.say(f"tools   {', '.join(t.name for t in deps.tools) or 'none'}")
        graph = build_graph(deps)
        final: dict[str, Any] = {}
        async for mode, chunk in graph.astream(
            task, context=ctx, stream_mode=["updates", "custom", "values"]
        ):
            if mode == "values":
                final = chunk
            else:
                printer.handle(mode, chunk)
    return final
