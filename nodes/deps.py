"""The live resources nodes use: the case bank, embedder, tools and chat models.

They are bound when the graph is built (`build_graph(deps)`), while per-run settings come from
the graph's context. Tests swap in scripted chat models through `chat_model`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from memory import CaseBank, QEstimator
from nodes.estimators import estimator_for
from nodes.models import ChatModelFactory, chat_model_from_context

if TYPE_CHECKING:
    from nodes.context import MementoContext
    from nodes.state import State

Node = Callable[["State", Runtime["MementoContext"]], Awaitable[dict[str, Any]]]
"""An async LangGraph node: reads the state and context, returns the keys it changes."""


@dataclass
class MementoDeps:
    """What the nodes need beyond the state and the context."""

    bank: CaseBank
    embedder: Embeddings
    tools: Sequence[BaseTool] = ()
    chat_model: ChatModelFactory = chat_model_from_context
    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    loop: asyncio.AbstractEventLoop | None = None
    """The event loop the tool sessions live on, when they were opened for sync code
    (`open_resources_sync`): a sync `invoke` / `stream` runs every node there."""
    _seeded: dict[int, np.random.Generator] = field(default_factory=dict, repr=False)

    def estimator(self, ctx: MementoContext) -> QEstimator:
        """The Q estimator the context asks for, over this bank."""
        return estimator_for(self.bank, ctx)

    def rng_for(self, ctx: MementoContext) -> np.random.Generator:
        """The generator of the case sampling: with a seed, one generator per seed for the life
        of these deps, so a run's tasks are reproducible and each gets its own draws; without
        one, the shared unseeded generator."""
        if ctx.seed is None:
            return self.rng
        if ctx.seed not in self._seeded:
            self._seeded[ctx.seed] = np.random.default_rng(ctx.seed)
        return self._seeded[ctx.seed]
