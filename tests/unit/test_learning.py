"""Learning through the compiled graph: what the policy shows after it has been rewarded.

Two cases answer the same kind of task: X looks more like it (vector search ranks X first) but
reading X leads to a wrong answer; reading Y leads to the right one. A scripted planner answers
right exactly when Y is among the successful cases in its prompt. Every test here would fail
if `retrieve` ignored Q (it would show X, the nearest).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from memory import Case, CaseBank, Visit
from tests.conftest import make_context
from tests.fakes import HashingEmbedder, RuleChatModel, final_plan_reply, plan_reply, run_task

TASK = "how do I clear the paper jam in the office printer"
X = "clear the paper jam in the office printer quickly"
Y = "printer paper jam: open tray B and pull the sheet"
TRUTH = "42"


def _planner(messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
    """Right answer when Y is shown as a success; steps first when asked to, in a 2-cycle task."""
    system = messages[0].text
    if not system.startswith("You are the planner"):
        return AIMessage(content="the tray was opened")  # the executor, for replanning tests
    shown = system.split("Failed cases:")[0]
    if "two cycles" in messages[1].text and len(messages) == 2:
        return plan_reply(("open the printer", None))
    return final_plan_reply(TRUTH if Y in shown else "wrong")


def _seed(bank: CaseBank, embedder: HashingEmbedder, namespace: str) -> dict[str, str]:
    now = time.time()
    ids = {}
    for question in (X, Y):
        case = Case(
            id="",
            namespace=namespace,
            question=question,
            plan=[question],
            answer=TRUTH,
            reward=1.0,
            created_at=now,
            updated_at=now,
            provenance="ground_truth",
        )
        ids[question] = bank.add(case, embedder.embed_query(question)).id
    return ids


def _context(**overrides: Any) -> Any:
    values = {"top_k": 1, "num_candidates": 4, "exclude_same_question": True, **overrides}
    return make_context(**values)


async def _train(graph: Any, namespace: str, episodes: int = 6) -> None:
    """Episodes that explore widely (alpha 10: nearly uniform), so both X and Y get read."""
    for seed in range(episodes):
        context = _context(namespace=namespace, seed=seed, alpha=10.0)
        await graph.ainvoke({"task": TASK, "ground_truth": TRUTH}, context=context)


async def _shown_in_eval(graph: Any, namespace: str) -> list[str]:
    out = await run_task(
        graph,
        {"task": TASK, "ground_truth": TRUTH},
        context=_context(namespace=namespace, mode="eval"),
    )
    return [c.question for c in out["retrieved"]]


@pytest.fixture
def model() -> RuleChatModel:
    return RuleChatModel(messages=iter(()), calls=[], rule=_planner)


async def test_after_training_eval_shows_the_case_whose_reads_succeeded_and_writes_nothing(
    graph_for, bank: CaseBank, embedder: HashingEmbedder, model: RuleChatModel
) -> None:
    ids = _seed(bank, embedder, "a")
    found = bank.search(embedder.embed_query(TASK), namespace="a", limit=2)
    assert [s.case.question for s in found] == [X, Y]  # similarity alone would show X
    graph = graph_for(model, tools=[])
    await _train(graph, "a")
    read = {
        q: {v.target for v in bank.list_visits(case_id=i) if v.retrieved} for q, i in ids.items()
    }
    assert read == {X: {0.0}, Y: {1.0}}  # both were read in training, with those outcomes
    cases, visits = bank.count(namespace="a"), bank.count_visits(namespace="a")
    assert await _shown_in_eval(graph, "a") == [Y]
    assert (bank.count(namespace="a"), bank.count_visits(namespace="a")) == (cases, visits)


async def test_namespaces_isolate_cases_and_visits(
    graph_for, bank: CaseBank, embedder: HashingEmbedder, model: RuleChatModel
) -> None:
    _seed(bank, embedder, "a")
    untouched = _seed(bank, embedder, "b")
    graph = graph_for(model, tools=[])
    await _train(graph, "a")
    assert bank.count_visits(namespace="b") == 0 and bank.count(namespace="b") == 2
    assert {c.id for c in bank.list_cases(namespace="b")} == set(untouched.values())
    assert await _shown_in_eval(graph, "a") == [Y]
    assert await _shown_in_eval(graph, "b") == [X]  # nothing learned there: the nearest


async def test_gamma_targets_go_to_the_cases_shown_at_each_cycle(
    graph_for, bank: CaseBank, embedder: HashingEmbedder, model: RuleChatModel
) -> None:
    """Eq. 8 worked by hand, with lam tiny so that every Q is exact.

    Y's visits all earned 1 and X's 0, so Q(s, Y) = 1 and Q(s, X) = 0 in every state, and the
    task's own new case (no visits) has Q = q0 = 0.5. With alpha 0.05 and gamma 0.5:
    V(s_1) = 0.05 * log(e^20 + e^0 + e^10) = 1.0000023, so y_0 = 0.5 * V(s_1) = 0.5000011 and
    y_1 = r = 1 (the planner saw Y, answered right). Each target goes to the case read at its
    own cycle's state: Y both times.
    """
    ids = _seed(bank, embedder, "a")
    s = embedder.embed_query(TASK)
    bank.add_visits(
        [
            (
                Visit(
                    id=f"00000000-0000-4000-8000-00000000000{i}",
                    case_id=ids[q],
                    namespace="a",
                    target=float(q == Y),
                    created_at=0.0,
                ),
                s,
            )
            for i, q in enumerate((X, Y, X, Y))
        ]
    )
    task = f"{TASK}, in two cycles"
    context = _context(
        namespace="a", gamma=0.5, alpha=0.05, lam=1e-9, q0=0.5, credit="shared", seed=0
    )
    out = await run_task(
        graph_for(model, tools=[]), {"task": task, "ground_truth": TRUTH}, context=context
    )
    assert out["shown"] == [[ids[Y]], [ids[Y]]]  # each cycle's state retrieved its own
    visits = sorted(
        (v.cycle, v.case_id, v.target) for v in bank.list_visits() if v.run_id == out["run_id"]
    )
    assert [(c, i) for c, i, _ in visits] == [(0, ids[Y]), (1, ids[Y])]
    assert visits[0][2] == pytest.approx(0.5000011, abs=1e-6)
    assert visits[1][2] == 1.0


@pytest.mark.parametrize(("helped", "shown"), [(3, Y), (1, X)])
async def test_where_most_steps_fail_a_case_whose_reads_helped_beats_an_untried_nearer_one(
    graph_for,
    bank: CaseBank,
    embedder: HashingEmbedder,
    model: RuleChatModel,
    helped: int,
    shown: str,
) -> None:
    """With the default credit: Y was read 3 times at this very task; steps without Y all failed.

    X, nearer (similarity 0.78 against Y's 0.41), was never tried. When Y's 3 reads all helped,
    its score, the reward expected of reading it ((3 + 1 x 0.41) / (3 + 1) = 0.85), passes X's
    similarity and eval mode shows Y; when 1 in 3 helped (0.35), the untried X keeps its rank.
    """
    ids = _seed(bank, embedder, "a")
    s = embedder.embed_query(TASK)
    reads = [(True, 1.0)] * helped + [(True, 0.0)] * (3 - helped)
    targets = [*reads, *[(False, 0.0)] * 5]
    bank.add_visits(
        [
            (
                Visit(
                    id=f"00000000-0000-4000-8000-0000000000{i:02d}",
                    case_id=ids[Y],
                    namespace="a",
                    target=target,
                    retrieved=read,
                    created_at=0.0,
                ),
                s,
            )
            for i, (read, target) in enumerate(targets)
        ]
    )
    assert await _shown_in_eval(graph_for(model, tools=[]), "a") == [shown]
