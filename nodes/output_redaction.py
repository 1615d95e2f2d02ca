"""Secrets never enter the graph's state or its progress events, whatever keeps or shows them.

A key can reach a node's output from many sides (an endpoint that echoes it into an error or a
judge's rationale, a model that repeats it, a tool result). Redacting each node's update and
events once, here, keeps it out of every checkpointer (the CLI's SQLite file, Studio's, any
the user brings), every stream and the graph's output.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime

from memory.bank.redaction import redact, secrets_in
from nodes.deps import Node

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State


def redacted(node: Node) -> Node:
    """The node, with secrets redacted from the update it returns and the events it writes."""

    @functools.wraps(node)
    async def run(state: State, runtime: Runtime[MementoContext]) -> dict[str, Any]:
        secrets = secrets_in()
        if not secrets:
            return await node(state, runtime)
        write = runtime.stream_writer
        inner = runtime.override(stream_writer=lambda event: write(redact(event, secrets)))
        return redact(await node(state, inner), secrets)

    return run
