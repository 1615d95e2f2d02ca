"""The case bank as a LangChain retriever: Documents ranked by the learned Q, sync and async."""

from __future__ import annotations

import time

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from memory import Case, CaseBank, SimilarityQ
from memory.adapters.retriever import CaseBankRetriever
from memory.policy.write import record_visits
from tests.fakes import HashingEmbedder

QUERY = "What is 17 * 23 + 6?"


def _add(bank: CaseBank, embedder: HashingEmbedder, question: str, reward: float, **extra) -> str:
    now = time.time()
    case = Case(
        id="",
        namespace=extra.pop("namespace", "default"),
        question=question,
        plan=["compute the expression [calculate]"],
        answer=extra.pop("answer", "x"),
        reward=reward,
        created_at=now,
        updated_at=now,
    )
    return bank.add(case, embedder.embed_query(question)).id


@pytest.fixture
def seeded(bank: CaseBank, embedder: HashingEmbedder) -> dict[str, str]:
    """Two look-alike cases: the nearer one has failed when retrieved, the farther one helped."""
    ids = {
        "near": _add(bank, embedder, "What is 17 * 23 + 5?", 0.0, answer="400"),
        "far": _add(bank, embedder, "What is 17 * 23 + 4 exactly?", 1.0, answer="395"),
    }
    state = embedder.embed_query(QUERY)
    kernel = CaseBankRetriever(bank=bank, embedder=embedder).estimator
    other = {"near": "far", "far": "near"}
    for name, target in (("near", 0.0), ("far", 1.0)):
        for _ in range(3):  # as the graph records them: the case read, the other left unread
            record_visits(
                bank, kernel, [[ids[name]]], [state], [target], namespace="default",
                unread_ids=[ids[other[name]]],
            )  # fmt: skip
    return ids


def test_similarity_ranks_the_nearer_case_first_but_q_ranks_the_helpful_one_first(
    bank: CaseBank, embedder: HashingEmbedder, seeded: dict[str, str]
) -> None:
    by_similarity = CaseBankRetriever(
        bank=bank, embedder=embedder, k=2, estimator=SimilarityQ()
    ).invoke(QUERY)
    assert [d.id for d in by_similarity] == [seeded["near"], seeded["far"]]

    retriever = CaseBankRetriever(bank=bank, embedder=embedder, k=2)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUERY)
    assert [d.id for d in docs] == [seeded["far"], seeded["near"]]
    best = docs[0]
    assert best.metadata["q"] > 0.9 > 0.3 > docs[1].metadata["q"]
    assert best.metadata["probability"] == pytest.approx(1.0, abs=1e-3)
    assert best.metadata["reward"] == 1.0 and best.metadata["case_id"] == seeded["far"]
    assert 0.0 < best.metadata["similarity"] < by_similarity[0].metadata["similarity"]
    assert best.page_content.startswith("Question: What is 17 * 23 + 4 exactly?\nPlan:\n1. ")
    assert "Answer: 395" in best.page_content and "succeeded" in best.page_content


async def test_async_retrieval_gives_the_same_documents(
    bank: CaseBank, embedder: HashingEmbedder, seeded: dict[str, str]
) -> None:
    retriever = CaseBankRetriever(bank=bank, embedder=embedder, k=2)
    assert await retriever.ainvoke(QUERY) == retriever.invoke(QUERY)


def test_k_namespace_and_leakage_control(bank: CaseBank, embedder: HashingEmbedder) -> None:
    mine = _add(bank, embedder, QUERY, 1.0)
    _add(bank, embedder, "What is 17 * 23 + 4?", 1.0)
    _add(bank, embedder, QUERY, 1.0, namespace="someone-else")
    assert len(CaseBankRetriever(bank=bank, embedder=embedder, k=1).invoke(QUERY)) == 1
    assert (
        len(CaseBankRetriever(bank=bank, embedder=embedder, k=4).invoke(QUERY)) == 2
    )  # only this namespace
    assert CaseBankRetriever(bank=bank, embedder=embedder).invoke(QUERY)[0].id == mine
    held_out = CaseBankRetriever(bank=bank, embedder=embedder, exclude_same_question=True).invoke(
        QUERY
    )
    assert mine not in [d.id for d in held_out]
    assert CaseBankRetriever(bank=bank, embedder=embedder, namespace="nobody").invoke(QUERY) == []


def test_train_mode_samples_k_distinct_cases_reproducibly(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    for i in range(6):
        _add(bank, embedder, f"What is {i} + {i}?", 1.0)
    options = {"k": 3, "mode": "train", "alpha": 1.0, "seed": 7, "min_similarity": -1.0}
    first = CaseBankRetriever(bank=bank, embedder=embedder, **options).invoke("2 + 2?")
    again = CaseBankRetriever(bank=bank, embedder=embedder, **options).invoke("2 + 2?")
    assert len({d.id for d in first}) == 3
    assert [d.id for d in first] == [d.id for d in again]


def test_bad_options_are_refused(bank: CaseBank, embedder: HashingEmbedder) -> None:
    with pytest.raises(ValueError, match="exceeds num_candidates"):
        CaseBankRetriever(bank=bank, embedder=embedder, k=8, num_candidates=4)
    with pytest.raises(ValueError, match="alpha"):
        CaseBankRetriever(bank=bank, embedder=embedder, alpha=0)


def test_it_composes_like_any_retriever(bank: CaseBank, embedder: HashingEmbedder) -> None:
    _add(bank, embedder, "What is 17 * 23 + 4?", 1.0, answer="395")

    def as_context(docs: list[Document]) -> str:
        return "\n\n".join(d.page_content for d in docs)

    chain = CaseBankRetriever(bank=bank, embedder=embedder, k=1) | RunnableLambda(as_context)
    assert "Answer: 395" in chain.invoke(QUERY)
