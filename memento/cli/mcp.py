"""`memento mcp`: serve the case bank's learned retrieval, its cases and general memories as
MCP tools (`memento.mcp_server`)."""

from __future__ import annotations

import argparse

from memento.cli.options import add_context_option, add_settings_options, settings_from_args

# The server, the bank and the embedder are imported by the command, not at start-up, and none
# of the chat-model clients: a stdio client's get_tools() starts the server once per call.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mcp",
        help="serve the bank as MCP memory tools: cases (retrieve_cases, report_outcome, "
        "search_cases, list_cases, get_case, delete_case) and general memories "
        "(search_memories, add_memory, update_memory, delete_memory, get_memory, list_memories)",
    )
    add_settings_options(parser)
    add_context_option(parser, "namespace_template")
    parser.add_argument(
        "--transport",
        choices=("stdio", "streamable-http"),
        default="stdio",
        help="stdio: for a client that starts `memento mcp` itself; streamable-http: a server "
        "at http://HOST:PORT/mcp (default: %(default)s)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="streamable-http address (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="streamable-http port (default: %(default)s)"
    )
    parser.add_argument(
        "--trusted",
        action="store_true",
        help="your own clients: a case scored against a client's ground_truth is verified, "
        "shown to planners as a success (default: self-judged, shown as unverified)",
    )
    parser.set_defaults(func=mcp_command)


def mcp_command(args: argparse.Namespace) -> int:
    import functools

    import numpy as np

    from graphs.embedder import default_embedder
    from memento.mcp_memory import CaseMemory
    from memento.mcp_scope import check_serving_template
    from memento.mcp_server import build_server
    from memory import CaseBank, embedding_dim
    from memory.embeddings.cache import CachedEmbedder
    from nodes.estimators import estimator_for

    ctx = settings_from_args(args, namespace_template=args.namespace_template).context
    check_serving_template(ctx)
    embedder = CachedEmbedder(default_embedder(ctx))
    with CaseBank(ctx.store, dim=embedding_dim(embedder), max_cases=ctx.max_cases) as bank:
        estimators = functools.partial(estimator_for, bank)
        rng = np.random.default_rng(ctx.seed)  # as the graph's: one generator per seed
        memory = CaseMemory(bank, embedder, estimators, ctx, rng, trusted=args.trusted)
        build_server(memory, host=args.host, port=args.port).run(transport=args.transport)
    return 0
