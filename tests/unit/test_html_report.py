"""The report page, read as a tree: figures carry the summary's figures, the cases table the
bank's rewards and the policy's Q, trajectories their steps, and no hostile text becomes markup.
(tests/integration/test_report_browser.py loads such pages in a real browser.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evals.html_report import CONTENT_POLICY, Report, render
from evals.report_data import bank_view
from memory import CaseBank, KernelQ
from memory.policy.read import rank_cases
from tests.browser import Element, parse
from tests.report_world import HOSTILE, PLAN, evaluate


@pytest.fixture
async def evaluated(tmp_path: Path):
    with CaseBank(":memory:", dim=64) as bank:
        runner, summary, page = await evaluate(bank, tmp_path)
        yield bank, runner, summary, parse(page.read_text(encoding="utf-8"))


pytest.importorskip("matplotlib", reason="the charts need the eval extra")


def _points(svg: Element, series: str) -> list[tuple[float, float]]:
    return [
        (float(c.attrs["data-x"]), float(c.attrs["data-y"]))
        for c in svg.find_all("use", "point")
        if c.attrs["data-series"] == series
    ]


async def test_the_learning_curves_draw_the_summary_with_none_as_a_baseline(evaluated) -> None:
    _, _, summary, page = evaluated
    learning = next(s for s in page.find_all("section") if s.attrs.get("id") == "learning")
    svg = learning.find_all("svg")[0]
    for memory in ("none", "kernel"):
        expected = [
            (row["round"], row["accuracy"]) for row in summary["rows"] if row["memory"] == memory
        ]
        assert _points(svg, memory) == expected
    assert len(_points(svg, "kernel")) == PLAN.rounds + 1  # round 0 on an empty bank, then 1, 2
    assert _points(svg, "kernel")[-1][1] > _points(svg, "none")[0][1]  # memory helped here
    baselines = svg.find_all("path", "baseline")
    assert len(baselines) == 1 and "stroke-dasharray" in baselines[0].attrs["style"]
    table = learning.find_all("table", "accuracy")[0]
    assert len(table.find_all("tr")) - 1 == len(summary["rows"])


async def test_the_cases_table_shows_each_cases_reward_and_the_policys_q(evaluated) -> None:
    bank, _, _, page = evaluated
    section = next(s for s in page.find_all("section", "bank"))
    assert section.attrs["data-namespace"] == "t-kernel"
    rows = section.find_all("table", "cases")[0].find_all("tr")[1:]
    cases = {c.id[:8]: c for c in bank.list_cases(namespace="t-kernel")}
    assert len(rows) == len(cases) > 0
    estimator = KernelQ(bank)  # the context's defaults
    vectors = bank.case_vectors([c.id for c in cases.values()])
    for row in rows:
        case = cases[row.find_all("code")[0].text]
        assert row.find_all("span", "reward")[0].text == f"{case.reward:.2f}"
        # the Q the policy itself gives the case for its own question (rank_cases: the read side)
        ranked = rank_cases(
            bank, estimator, vectors[case.id], namespace="t-kernel", limit=32, alpha=0.1
        )
        q = next(r.q for r in ranked if r.case.id == case.id)
        assert float(row.find_all("span", "q")[0].text) == pytest.approx(q, abs=5e-4)
    assert {float(r.find_all("span", "reward")[0].text) for r in rows} == {0.0, 1.0}
    said = " ".join(section.find_all("p")[0].text.split())
    assert "Q below 0" not in said  # shared credit, the default: Q is a reward, 0 to 1


def test_a_page_of_contrastive_credit_says_what_a_negative_q_means(bank: CaseBank) -> None:
    from memory import Case

    case = Case(id="", namespace="n", question="q?", reward=1.0, created_at=1.0, updated_at=1.0)
    bank.add(case, np.eye(64)[0].tolist())
    view = bank_view(bank, KernelQ(bank, credit="contrastive"), "n", limit=10)
    page = parse(render(Report("bank", banks=[view])))
    said = " ".join(page.find_all("section", "bank")[0].find_all("p")[0].text.split())
    assert "a Q below 0 means the runs that read the case did worse than the runs" in said


async def test_trajectories_show_each_task_of_the_last_round_with_its_steps(evaluated) -> None:
    _, runner, _, page = evaluated
    section = next(s for s in page.find_all("section") if s.attrs.get("id") == "trajectories")
    tasks = section.find_all("div", "task")
    assert len(tasks) == 2 * len(PLAN.test_tasks)  # none and kernel, last measured round
    last = [r for r in runner.log.of("kernel", "eval") if r.round == PLAN.rounds]
    assert {t.attrs["data-task"] for t in tasks} == {r.task_id for r in last}
    steps = tasks[0].find_all("ol", "steps")[0]
    assert "add the two numbers" in steps.text and "the numbers are added" in steps.text


async def test_hostile_text_stays_text_and_nothing_can_be_fetched(evaluated) -> None:
    _, _, _, page = evaluated
    assert page.find_all("script") == [] and page.find_all("img") == []
    assert HOSTILE in page.text  # shown, as text
    every = page.find_all("html")[0].find_all
    attributes = [
        a for tag in ("a", "link", "svg", "circle", "td") for e in every(tag) for a in e.attrs
    ]
    assert not {"src", "href", "onerror"} & set(attributes)
    meta = [m for m in page.find_all("meta") if m.attrs.get("http-equiv")]
    assert meta[0].attrs["content"] == CONTENT_POLICY


def test_a_bank_alone_gets_a_page_without_a_learning_curve(bank: CaseBank) -> None:
    view = bank_view(bank, KernelQ(bank), "empty", limit=10)
    page = parse(render(Report("bank", banks=[view])))
    assert [s.attrs.get("id") for s in page.find_all("section")] == [None]
    assert page.find_all("table", "cases")[0].find_all("tr")[1:] == []


def test_similarity_retrieval_shows_no_q(bank: CaseBank) -> None:
    from memory import Case
    from memory.policy.scores import SimilarityQ

    case = Case(id="", namespace="n", question="q?", reward=1.0, created_at=1.0, updated_at=1.0)
    bank.add(case, np.eye(64)[0].tolist())
    view = bank_view(bank, SimilarityQ(), "n", limit=10)
    assert [row.q for row in view.rows] == [None]
    cells = parse(render(Report("bank", banks=[view]))).find_all("span", "q")
    assert [c.text for c in cells] == ["–"]


def test_without_matplotlib_the_page_says_why_it_has_no_charts(
    bank: CaseBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evals import charts

    monkeypatch.setattr(charts, "available", lambda: False)
    view = bank_view(bank, KernelQ(bank), "empty", limit=10)
    page = parse(render(Report("bank", banks=[view])))
    assert page.find_all("svg") == []
    (note,) = page.find_all("p", "no-charts")
    assert "charts need matplotlib (the eval extra): pip install matplotlib" in note.text


def test_written_is_the_time_cases_list_shows_after_a_relabel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A relabel writes the case anew: the report's "written" is that time, as `cases list`
    shows it, with the first attempt's time beside it."""
    import datetime as dt

    from memento.cli import main
    from memory import Case

    store, page = str(tmp_path / "bank"), tmp_path / "page.html"
    long_ago = 1_000_000.0
    with CaseBank(store, dim=4) as bank:
        case = Case(id="", namespace="default", question="What is 2 + 2?", reward=0.0,
                    created_at=long_ago, updated_at=long_ago)  # fmt: skip
        stored = bank.add(case, [1.0, 0.0, 0.0, 0.0])
        old = stored.model_copy(update={"created_at": long_ago, "updated_at": long_ago})
        bank.put_case(old, [1.0, 0.0, 0.0, 0.0])
    assert main(["cases", "relabel", stored.id[:8], "--reward", "1", "--store", store]) == 0
    assert main(["cases", "list", "--store", store]) == 0
    assert main(["cases", "report", "--store", store, "--out", str(page)]) == 0
    out = capsys.readouterr().out.splitlines()
    listed = next(line for line in out if "2 + 2" in line and "relabelled  " in line)
    row = parse(page.read_text(encoding="utf-8")).find_all("table", "cases")[0].find_all("tr")[1]
    written = row.find_all("td")[-1].text
    first = dt.datetime.fromtimestamp(long_ago).strftime("%Y-%m-%d %H:%M")
    assert written.split(" (")[0] in listed and written.endswith(f"(first {first})")
