"""A node as LangGraph runs it: async and sync, with JSON-native updates and traced events.

- **Sync and async.** A node is a `Runnable` with both paths, so `graph.ainvoke` and
  `graph.invoke` both work. The async path runs the node on the caller's event loop; the sync
  path runs the same coroutine on a private event loop in a worker thread (the caller's thread
  may already run a loop, as in Jupyter). Resources bound to another loop, such as MCP sessions
  opened with `async with client.session(...)`, cannot be used from that private loop: with
  MCP tools, call `ainvoke` / `astream` in the loop that opened the sessions. Deps opened for
  sync code (`graphs.resources.open_resources_sync`) name their sessions' loop, which runs
  in a thread of its own: the sync path runs the node there, in the caller's context.
- **JSON-native updates.** Records (`Plan`, `Judgement`, ...) are dumped to plain dicts, so a
  checkpointer never stores a pickled class (`nodes.state` validates them back).
- **The run's namespace.** A context with a `namespace_template` reaches the node with its
  `namespace` filled from the run (`nodes.run_namespace`); every node but the one that starts
  a task refuses to run in another namespace than the task started in.
- **The run's store searches.** In train mode every node after the one that starts a task runs
  its children (tools, models) with `configurable["memento_run_id"]` set to the task's
  `run_id` unless the caller named one, so a store search a tool makes inside the run is saved
  for that run (`memory.adapters.store_policy`) and `update_q` credits it with the run's reward.
- **Events for tracers.** Every progress event a node writes goes to `stream_mode="custom"`
  and is also dispatched as a LangChain custom callback event named after its kind
  (`case_chosen`, `plan`, `reward`, ...), which `astream_events(version="v2")`, LangSmith and
  any callback handler see.
"""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import adispatch_custom_event
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config
from langgraph.runtime import get_runtime
from langgraph.types import Overwrite
from pydantic import BaseModel

from memory.adapters.store_policy import RUN_KEY
from nodes.deps import Node
from nodes.run_namespace import check_resumed_namespace, run_context

if TYPE_CHECKING:
    from nodes.state import State


class GraphNode(Runnable[Any, dict[str, Any]]):
    """A node with a sync and an async path (see the module docstring).

    It makes no run of its own: LangGraph already traces each node as a run named after it
    and calls this in that run's config context, whose runtime (`get_runtime`) and callbacks
    the node's model calls and events use.
    """

    def __init__(
        self,
        name: str,
        node: Node,
        *,
        starts_task: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.name = name
        self._node = node
        self.starts_task = starts_task
        self._loop = loop

    def invoke(
        self, input: State, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if self._loop is not None:
            if self._loop.is_closed():
                raise RuntimeError(
                    f"node {self.name!r}: the resources this graph was built over are closed "
                    "(the open_resources_sync block ended): open them again and rebuild it"
                )
            # The run's config carries its runtime (context, stream writer) to the node there.
            return asyncio.run_coroutine_threadsafe(
                self.ainvoke(input, config), self._loop
            ).result()
        context = contextvars.copy_context()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"memento-{self.name}") as pool:
            return pool.submit(context.run, asyncio.run, self.ainvoke(input, config)).result()

    async def ainvoke(
        self, input: State, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        runtime = get_runtime()
        context = run_context(runtime.context, (config or {}).get("configurable") or {})
        if not self.starts_task:
            check_resumed_namespace(input.namespace, getattr(context, "namespace", ""))
        write = runtime.stream_writer
        pending: list[asyncio.Future[None]] = []

        def write_and_dispatch(event: Any) -> None:
            write(event)
            kind = event.get("event", "memento") if isinstance(event, dict) else "memento"
            pending.append(asyncio.ensure_future(adispatch_custom_event(str(kind), event)))

        named = None
        if not self.starts_task and input.run_id and getattr(context, "mode", "") == "train":
            named = var_child_runnable_config.set(_naming_run(config, input.run_id))
        try:
            run = runtime.override(context=context, stream_writer=write_and_dispatch)
            update = await self._node(input, run)
        finally:
            if named is not None:
                var_child_runnable_config.reset(named)
            await asyncio.gather(*pending)
        return jsonable(update)


def _naming_run(config: RunnableConfig | None, run_id: str) -> RunnableConfig:
    """The config the node's children run with: its own, naming the task's run for the store
    (`configurable["memento_run_id"]`) unless the caller named one."""
    current: Any = var_child_runnable_config.get() or config or {}
    configurable = {RUN_KEY: run_id, **(current.get("configurable") or {})}
    return {**current, "configurable": configurable}


def graph_node(
    name: str,
    node: Node,
    *,
    starts_task: bool = False,
    loop: asyncio.AbstractEventLoop | None = None,
) -> GraphNode:
    """The node, named, as LangGraph should run it (`builder.add_node(graph_node(...))`);
    `starts_task` for the node that starts a task (and records its namespace); `loop` for deps
    whose tool sessions live on a loop of their own (`MementoDeps.loop`)."""
    return GraphNode(name, node, starts_task=starts_task, loop=loop)


def jsonable(value: Any) -> Any:
    """The value with every pydantic record dumped to JSON-native dicts, inside lists, dicts
    and `Overwrite` too."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Overwrite):
        return Overwrite(jsonable(value.value))
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value
