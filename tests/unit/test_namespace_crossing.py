"""A case id is never accepted in a namespace other than its own (issue 26, 2a).

Bob's run, interrupted after `retrieve` and resumed as Alice, showed Bob's private case in
Alice's planner prompt and credited it in Alice's namespace, while `cases check` said ok. Now
the resume is refused, the bank refuses a visit that crosses namespaces whoever writes it, and
`cases check` names any stored before the rule.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from langchain_core.tools import StructuredTool

from graphs import build_graph
from graphs.checkpoints import memory_checkpointer
from memento.cli import main
from memory import Case, CaseBank, KernelQ, Visit, record_visits
from memory.bank.steps import Step, step_id
from memory.care.integrity import check_bank
from memory.engines.protocol import StoredPoint
from memory.errors import CrossNamespaceError
from nodes import MementoDeps
from nodes.run_namespace import ThreadNamespaceError
from tests.conftest import make_context
from tests.endpoints import error_reply, loopback_endpoint
from tests.fakes import HashingEmbedder, scripted
from tests.unit.test_loop import TASK, solve_with_calculator

TEMPLATE = "memento:{user_id}"
BOB = make_context(namespace_template=TEMPLATE, user_id="bob")
ALICE = make_context(namespace_template=TEMPLATE, user_id="alice")


def _graph(bank: CaseBank, embedder: HashingEmbedder, tool: StructuredTool, model):
    deps = MementoDeps(bank=bank, embedder=embedder, tools=[tool], chat_model=lambda c, r: model)
    return build_graph(deps, checkpointer=memory_checkpointer())


async def test_a_thread_started_as_bob_is_not_resumed_as_alice(
    bank: CaseBank, embedder: HashingEmbedder, calculator_tool: StructuredTool
) -> None:
    task = {"task": TASK, "ground_truth": "395"}
    first = _graph(
        bank, embedder, calculator_tool, scripted(*solve_with_calculator("17*23+4", "395"))
    )
    bobs = await first.ainvoke(task, {"configurable": {"thread_id": "b1"}}, context=BOB)

    model = scripted(*solve_with_calculator("17*23+4", "395"))
    graph = _graph(bank, embedder, calculator_tool, model)
    config = {"configurable": {"thread_id": "shared"}}
    async for _ in graph.astream(task, config, context=BOB, interrupt_after=["retrieve"]):
        pass
    held = (await graph.aget_state(config)).values
    assert [c["case_id"] for c in held["retrieved"]] == [bobs["case_id"]]

    with pytest.raises(ThreadNamespaceError, match="started in namespace 'memento:bob'"):
        await graph.ainvoke(None, config, context=ALICE)
    assert model.calls == []  # Alice's planner was never shown Bob's case
    assert bank.list_visits(namespace="memento:alice") == []
    assert bank.count(namespace="memento:alice") == 0

    # A new task of Alice's on the thread starts clean, in her namespace.
    alices = await graph.ainvoke(task, config, context=ALICE)
    assert alices["retrieved"] == [] and bank.get(alices["case_id"]).namespace == "memento:alice"


def _visit(case_id: str, namespace: str) -> Visit:
    return Visit(
        id=str(uuid.uuid4()), case_id=case_id, namespace=namespace, target=1.0, run_id="r1",
        created_at=0.0,
    )  # fmt: skip


def _bobs_case(bank: CaseBank, embedder: HashingEmbedder) -> str:
    case = Case(
        id="", namespace="memento:bob", question="Bob's private question", reward=1.0,
        created_at=0.0, updated_at=0.0,
    )  # fmt: skip
    return bank.add(case, embedder.embed_query(case.question)).id


def test_the_bank_refuses_a_visit_that_credits_another_namespaces_case(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    """Whoever writes it (the graph's update_q, the middleware and the MCP server go through
    `record_visits`; bank care through `add_visits`), nothing is stored."""
    bobs = _bobs_case(bank, embedder)
    state = embedder.embed_query("Alice's task")
    with pytest.raises(CrossNamespaceError, match="credits case .* of namespace 'memento:bob'"):
        record_visits(bank, KernelQ(bank), [[bobs]], [state], [1.0], namespace="memento:alice")
    with pytest.raises(CrossNamespaceError):
        bank.add_visits([(_visit("00000000-0000-4000-8000-000000000001", "memento:alice"), state),
                         (_visit(bobs, "memento:alice"), state)])  # fmt: skip
    assert bank.list_visits() == []
    record_visits(bank, KernelQ(bank), [[bobs]], [state], [1.0], namespace="memento:bob")
    assert [v.namespace for v in bank.list_visits(case_id=bobs)] == ["memento:bob"]


def test_cases_check_names_a_visit_stored_across_namespaces(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    """A step written before the rule (here, around it) is named, whole store or not."""
    bobs = _bobs_case(bank, embedder)
    crossing = Step(
        id=step_id("memento:alice", "r1", 0), namespace="memento:alice", run_id="r1",
        target=1.0, created_at=0.0, read=[bobs],
    )  # fmt: skip
    bank._steps.upsert(
        [(StoredPoint(crossing.id, crossing.model_dump()), embedder.embed_query("x"))]
    )
    for namespace in (None, "memento:alice"):
        report = check_bank(bank, namespace=namespace)
        assert not report.ok and any(
            f"step {crossing.id} in 'memento:alice' credits case {bobs} of 'memento:bob'" in line
            for line in report.problems
        ), report.problems
    assert check_bank(bank, namespace="memento:bob").ok


def test_memento_run_refuses_the_resume_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bob's `memento run --thread t` fails after retrieve; the same command as Alice is
    refused with one line (no traceback, no advice to run it again)."""
    monkeypatch.setenv("MEMENTO_STORE", str(tmp_path / "bank"))
    monkeypatch.setenv("MEMENTO_CHECKPOINTS", str(tmp_path / "checkpoints.sqlite"))

    def as_user(user: str) -> None:
        config = tmp_path / f"{user}.json"
        context = {"namespace_template": TEMPLATE, "user_id": user, "llm_max_retries": 0}
        config.write_text(json.dumps({"context": context}))
        monkeypatch.setenv("MEMENTO_CONFIG", str(config))

    def run(url: str) -> int:
        return main(["run", TASK, "--base-url", url, "--model", "m", "--tools", "calculator",
                     "--thread", "t"])  # fmt: skip

    with loopback_endpoint(lambda request: error_reply(404, {"message": "no such model"})) as url:
        as_user("bob")
        assert run(url) == 1
        capsys.readouterr()
        as_user("alice")
        assert run(url) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "memento: error: this thread's unfinished task started in namespace 'memento:bob'; it "
        "is not resumed in 'memento:alice': give the task again (a new task on the thread "
        "starts clean) or use another thread"
    ]
