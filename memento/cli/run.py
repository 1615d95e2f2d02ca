"""`memento run "task"`: one task through the loop, with its progress printed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphs.checkpoints import CHECKPOINTS_ENV
from graphs.settings import ConfigError, MementoSettings
from memento.cli.disk_full import disk_full
from memento.cli.options import (
    add_context_option,
    add_model_options,
    add_settings_options,
    add_tools_option,
    settings_from_args,
)

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from memento.cli.progress import ProgressPrinter
    from nodes.state import Output

# The loop (LangGraph, LangChain, OpenAI, Qdrant, MCP) is imported when a task runs, so that
# `memento --help` does not wait for it.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="solve one task, learning from past cases")
    parser.add_argument("task", help="the question or instruction to solve")
    parser.add_argument(
        "--ground-truth",
        help="the correct answer: the reward is measured against it (1 = right, 0 = wrong); "
        "without one the judge model grades the answer itself",
    )
    add_settings_options(parser)
    for name in ("mode", "retrieval"):
        add_context_option(parser, name)
    add_model_options(parser)
    add_context_option(parser, "max_cycles")
    add_tools_option(parser)
    parser.add_argument(
        "--thread",
        help=f"checkpoint the run under this id (SQLite file: ${CHECKPOINTS_ENV}); an "
        "interrupted task resumes when run again with the same id",
    )
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(
        args, mode=args.mode, retrieval=args.retrieval, max_cycles=args.max_cycles
    )
    from memento.cli.namespaces import check_run_namespace
    from memento.cli.progress import ProgressPrinter
    from nodes.schemas import checked_task

    checked_task(args.task, settings.context.max_task_chars)  # fail before starting servers
    check_run_namespace(settings.context, "run")
    task = {"task": args.task, "ground_truth": args.ground_truth}
    try:
        asyncio.run(run_task(settings, task, ProgressPrinter(sys.stdout), thread=args.thread))
    except ConfigError:
        raise
    except BaseException as exc:  # interrupted or failed: say how to pick the task up again
        from nodes.run_namespace import ThreadNamespaceError

        # a full disk or a thread of another namespace: the error says what to do instead
        if args.thread and not isinstance(exc, ThreadNamespaceError) and disk_full(exc) is None:
            print(
                f"memento: progress is checkpointed in thread {args.thread!r}; "
                "run the same command again to resume",
                file=sys.stderr,
            )
        raise
    return 0


async def run_task(
    settings: MementoSettings,
    task: dict[str, Any],
    printer: ProgressPrinter,
    *,
    thread: str | None = None,
    checkpoints: Path | None = None,
    **resource_options: Any,
) -> Output:
    """Open the run's resources, stream the task through the graph, and return its output.

    With no endpoint configured the local model is started first (see `model_endpoint`). With a
    `thread`, every node's result is checkpointed (SQLite at `checkpoints`, default
    $MEMENTO_CHECKPOINTS) and an unfinished task on that thread resumes where it stopped.
    `resource_options` go to `open_resources` (an embedder or chat-model factory).
    """
    from graphs.checkpoints import sqlite_checkpointer
    from graphs.graph import build_graph
    from graphs.resources import open_resources
    from memento.cli.endpoint import model_endpoint
    from nodes.state import Output

    async with AsyncExitStack() as stack:
        settings = await stack.enter_async_context(model_endpoint(settings))
        ctx = settings.context
        printer.started(ctx)
        deps = await stack.enter_async_context(open_resources(settings, **resource_options))
        printer.say(f"tools   {', '.join(t.name for t in deps.tools) or 'none'}")
        saver = None
        if thread:
            saver = await stack.enter_async_context(sqlite_checkpointer(checkpoints))
        graph = build_graph(deps, checkpointer=saver)
        config = {"configurable": {"thread_id": thread}} if thread else None
        payload = await _start_or_resume(graph, config, task, printer) if thread else task
        final: dict[str, Any] = {}
        async for mode, chunk in graph.astream(
            payload, config, context=ctx, stream_mode=["updates", "custom", "values"]
        ):
            if mode == "values":
                final = chunk
            else:
                printer.handle(mode, chunk)
    return Output.model_validate(final)


async def _start_or_resume(
    graph: CompiledStateGraph, config: Any, task: dict[str, Any], printer: ProgressPrinter
) -> dict[str, Any] | None:
    """The task itself on a new thread; None (continue) on a thread that holds it unfinished."""
    from memory.bank.redaction import redact_text, secrets_in

    thread = config["configurable"]["thread_id"]
    snapshot = await graph.aget_state(config)
    if not snapshot.values:
        printer.say(f"thread  {thread} (new)")
        return task
    held = snapshot.values.get("task", "")
    if not snapshot.next:
        raise ConfigError(
            f"thread {thread!r} has already finished its task {held!r}; use another --thread"
        )
    given = task["task"].strip()  # a checkpoint stores the task with its secrets redacted
    if held.strip() not in (given, redact_text(given, secrets_in()).strip()):
        raise ConfigError(
            f"thread {thread!r} holds the unfinished task {held!r}; run that task to resume "
            "it, or use another --thread"
        )
    printer.say(f"thread  {thread}: resuming at {', '.join(snapshot.next)}")
    return None
