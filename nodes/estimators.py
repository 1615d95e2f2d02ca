"""The Q estimator a context asks for, over a bank: a light module (numpy and `memory` only), so
a command that needs an estimator and no chat model (`memento mcp`, `cases why`) does not pay
for importing the model clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory import CaseBank, KernelQ, LogisticQModel, ParametricQ, QEstimator, SimilarityQ
from memory.policy import UCBQ, MemRLQ
from memory.policy.kernel import selection_for

if TYPE_CHECKING:
    from nodes.context import MementoContext


def estimator_for(bank: CaseBank, ctx: MementoContext) -> QEstimator:
    """The Q estimator a context asks for, over a bank (the graph's, or a report's)."""
    if ctx.retrieval == "similarity":
        return SimilarityQ()
    if ctx.retrieval == "kernel":
        return KernelQ(
            bank,
            tau=ctx.tau,
            lam=ctx.lam,
            q0=ctx.q0,
            visits_per_case=ctx.visits_per_case,
            credit=ctx.credit,
            similarity_prior=ctx.similarity_prior,
            prior_visits=ctx.prior_visits,
            half_life=ctx.half_life,
            change_after=ctx.change_after,
            plan_change_after=ctx.plan_change_after,
            optimism=ctx.optimism,
            selection=selection_for(ctx.exploration),
        )
    if ctx.retrieval == "memrl":
        return MemRLQ(bank, ctx.namespace, q0=ctx.q0)
    if ctx.retrieval == "ucb":
        return UCBQ(bank, ctx.namespace)
    model = LogisticQModel(bank.dim, q0=ctx.q0)
    return ParametricQ(bank, model, ctx.namespace, credit=ctx.credit)
