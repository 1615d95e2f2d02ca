"""The case bank as a LangChain retriever: a query in, the cases the Q policy would read out.

    retriever = CaseBankRetriever(bank=bank, embedder=embedder, k=4, namespace="default")
    docs = await retriever.ainvoke("What is 17 * 23 + 5?")
    docs[0].metadata["q"], docs[0].metadata["probability"]

It runs the same policy as the graph's `retrieve` node (`memory.policy.read`): N candidates by
vector search, a score per candidate from the estimator, and K of them: the top K by score
("eval", the default, deterministic) or as the estimator explores ("train": by default the top K
by score plus a fading optimism bonus). The bank stores vectors but
not the model that made them, so the retriever needs the embedder the bank was built with.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import Field, PrivateAttr, SkipValidation, model_validator

from memory.bank.casebank import CaseBank
from memory.policy import defaults
from memory.policy.kernel import KernelQ
from memory.policy.read import RankedCase, read_cases
from memory.policy.sampling import Mode
from memory.policy.scores import QEstimator


class CaseBankRetriever(BaseRetriever):
    """Cases of one namespace for a query, as `Document`s, ranked by the learned Q.

    `page_content` holds the case (question, plan, answer, outcome); `metadata` holds
    `case_id`, `question`, `answer`, `reward`, `q`, `probability` (mu under the soft policy),
    `similarity` (cosine) and `attempts`. Documents come best first; `Document.id` is the
    case id.
    """

    bank: CaseBank
    embedder: Embeddings
    k: int = Field(default=4, ge=1, description="K: cases returned.")
    num_candidates: int = Field(default=32, ge=1, description="N: candidates scored by Q.")
    mode: Mode = Field(default="eval", description="eval: top-K by Q; train: sample K from mu.")
    alpha: float = Field(default=defaults.ALPHA, gt=0, description="Soft-policy temperature.")
    namespace: str = Field(default="default", description="Whose cases are searched.")
    # A Protocol cannot be checked with isinstance: any object with q_values/learn will do.
    estimator: SkipValidation[QEstimator | None] = Field(
        default=None,
        description="Q(s, c); None means KernelQ over the bank with the product's defaults.",
    )
    exclude_same_question: bool = Field(
        default=False, description="Never return the case whose question is the query itself."
    )
    min_similarity: float = Field(
        default=defaults.MIN_SIMILARITY,
        ge=-1,
        le=1,
        description="Cases less similar than this are never returned.",
    )
    seed: int | None = Field(default=None, description="Seed of the sampling in train mode.")
    _rng: np.random.Generator = PrivateAttr()

    @model_validator(mode="after")
    def _check(self) -> CaseBankRetriever:
        if self.k > self.num_candidates:
            raise ValueError(f"k ({self.k}) exceeds num_candidates ({self.num_candidates})")
        if self.estimator is None:
            self.estimator = KernelQ(self.bank)  # the product's defaults
        self._rng = np.random.default_rng(self.seed)
        return self

    def rank(self, vector: list[float], query: str) -> list[RankedCase]:
        """The K cases the policy reads for a query's embedding, best first."""
        assert self.estimator is not None  # set by the validator
        _, chosen = read_cases(
            self.bank,
            self.estimator,
            vector,
            namespace=self.namespace,
            limit=self.num_candidates,
            k=self.k,
            alpha=self.alpha,
            mode=self.mode,
            rng=self._rng,
            exclude_question=query if self.exclude_same_question else None,
            min_similarity=self.min_similarity,
        )
        return chosen

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = self.embedder.embed_query(query)
        return [case_document(r) for r in self.rank(vector, query)]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = await self.embedder.aembed_query(query)
        ranked = await asyncio.to_thread(self.rank, vector, query)
        return [case_document(r) for r in ranked]


def case_document(ranked: RankedCase) -> Document:
    """One case as a Document: readable text for a model, numbers in the metadata."""
    case = ranked.case
    plan = "\n".join(f"{i}. {step}" for i, step in enumerate(case.plan, start=1))
    outcome = "succeeded" if case.succeeded else "failed"
    text = (
        f"Question: {case.question}\n"
        f"Plan:\n{plan or '(answered directly)'}\n"
        f"Answer: {case.answer}\n"
        f"Outcome: {outcome} (reward {case.reward:.2f})"
    )
    metadata: dict[str, Any] = {
        "case_id": case.id,
        "namespace": case.namespace,
        "question": case.question,
        "answer": case.answer,
        "reward": case.reward,
        "q": ranked.q,
        "probability": ranked.probability,
        "similarity": ranked.similarity,
        "attempts": case.attempts,
    }
    return Document(id=case.id, page_content=text, metadata=metadata)
