"""`memento mcp`'s case tools: the learned retrieval and its report, and browsing and care.

Each tool is a thin async wrapper over one `CaseMemory` call, run in a worker thread (the bank
and the embedder block), with typed, described arguments (its input schema) and a pydantic
result (its output schema; FastMCP sends it as structured content and as JSON text). Every
tool takes `namespace` and `user_id` and hands them to the service, which resolves them by
the one rule of `memento.mcp_scope` before anything else. The general memories' tool group
(`memento.mcp_tools_memories`) registers itself beside this one in `memento.mcp_server`, and
its searches are reported here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations
from pydantic import Field

from memento.mcp_case_care import MAX_LISTED
from memento.mcp_memory import CaseMemory
from memento.mcp_models import (
    CaseDetail,
    CaseList,
    DeletedCase,
    FoundCases,
    Outcome,
    RetrievedCases,
)
from memento.mcp_scope import NamespaceArg, UserIdArg

T = TypeVar("T")

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=False)
WRITES = ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False)
DESTROYS = ToolAnnotations(readOnlyHint=False, destructiveHint=True, openWorldHint=False)

CaseId = Annotated[str, Field(description="A case's id, as the other case tools show it.")]
Limit = Annotated[int, Field(ge=1, le=MAX_LISTED, description="Most cases to return.")]


async def in_thread(call: Callable[..., T], *args: object, **kwargs: object) -> T:
    """`call(*args, **kwargs)` in a worker thread: the event loop serves other calls."""
    return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs))


def register_case_tools(server: FastMCP, memory: CaseMemory) -> None:
    """Add the case tools over `memory` to `server`."""

    @server.tool(annotations=WRITES)
    async def retrieve_cases(
        task: Annotated[str, Field(description="The task the agent is about to do.")],
        k: Annotated[
            int | None, Field(ge=1, description="Cases to read (default: the server's K).")
        ] = None,
        mode: Annotated[
            Literal["train", "eval"] | None,
            Field(description="train (default): also tries cases not yet proven; eval: top K."),
        ] = None,
        namespace: NamespaceArg = None,
        user_id: UserIdArg = None,
    ) -> RetrievedCases:
        """Past cases (question, plan, answer, reward, provenance) that should help with `task`,
        ranked by a learned Q, with a retrieval_id to pass to report_outcome afterwards.
        mode: "train" (the default) also tries cases not yet proven, so it learns which help;
        "eval" takes the K best by their learned score."""
        return await in_thread(memory.retrieve, task, k, mode, namespace=namespace, user_id=user_id)

    @server.tool(annotations=WRITES)
    async def report_outcome(
        retrieval_id: Annotated[
            str, Field(description="What retrieve_cases or search_memories returned.")
        ],
        answer: Annotated[str, Field(description="The final answer the agent gave.")],
        reward: Annotated[
            float | None,
            Field(ge=0, le=1, description="How well it went, 0 to 1 (recorded as self-judged)."),
        ] = None,
        ground_truth: Annotated[
            str | None, Field(description="The right answer, to score the answer against.")
        ] = None,
        plan: Annotated[
            list[str] | None, Field(description="The steps the agent took, kept in the case.")
        ] = None,
        namespace: NamespaceArg = None,
        user_id: UserIdArg = None,
    ) -> Outcome:
        """Report how the task of a retrieve_cases or search_memories call went: the final
        answer and either its reward (0 to 1, recorded as self-judged) or the ground truth to
        score it against (recorded as ground_truth only if the server was started trusted).
        For retrieve_cases the task is stored as a case and the cases read are credited; for
        search_memories the memories shown are credited and no case is written. Report each
        retrieval_id of a task; reporting one twice is a no-op."""
        return await in_thread(
            memory.report,
            retrieval_id,
            answer,
            reward=reward,
            ground_truth=ground_truth,
            plan=plan,
            namespace=namespace,
            user_id=user_id,
        )

    @server.tool(annotations=READ_ONLY)
    async def search_cases(
        query: Annotated[str, Field(description="What to look for, in plain words.")],
        limit: Limit = 10,
        namespace: NamespaceArg = None,
        user_id: UserIdArg = None,
    ) -> FoundCases:
        """Cases nearest in meaning to `query`, best first, by similarity alone: for browsing
        (nothing is recorded and nothing is learned; use retrieve_cases before a task)."""
        return await in_thread(
            memory.search_cases, query, limit, namespace=namespace, user_id=user_id
        )

    @server.tool(annotations=READ_ONLY)
    async def list_cases(
        limit: Limit = 20,
        offset: Annotated[int, Field(ge=0, description="Cases to skip (paging).")] = 0,
        namespace: NamespaceArg = None,
        user_id: UserIdArg = None,
    ) -> CaseList:
        """The cases in memory, most recently used first, a page at a time, with the total."""
        return await in_thread(
            memory.list_cases, limit, offset, namespace=namespace, user_id=user_id
        )

    @server.tool(annotations=READ_ONLY)
    async def get_case(
        case_id: CaseId, namespace: NamespaceArg = None, user_id: UserIdArg = None
    ) -> CaseDetail:
        """One case in full: question, plan, trajectory, answer, reward, judge rationale,
        provenance, and the number of visits its learned Q is made of."""
        return await in_thread(memory.get_case, case_id, namespace=namespace, user_id=user_id)

    @server.tool(annotations=DESTROYS)
    async def delete_case(
        case_id: CaseId, namespace: NamespaceArg = None, user_id: UserIdArg = None
    ) -> DeletedCase:
        """Delete a case and its visits (what it taught other cases stays theirs)."""
        return await in_thread(memory.delete_case, case_id, namespace=namespace, user_id=user_id)
