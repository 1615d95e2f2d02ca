"""The pages `memento eval` and `memento cases report` write, loaded in a real headless Chromium:
no console error (no script error, no fetch refused by the page's policy), the figures and the
cases' rewards and Q are there in the DOM the browser built, and a screenshot shows each chart
drawn (its curves, points and baseline in their colours).

The evaluation runs through the CLI against a loopback OpenAI-compatible endpoint, with
questions, plans and answers full of markup; a page with a fetch and a script shows that the
check does see console errors, and an empty or broken chart that the screenshot check fails.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from memento.cli import main
from tests.browser import Element, chromium, load, parse
from tests.report_world import HOSTILE, run_eval_cli

pytestmark = pytest.mark.integration
pytest.importorskip("matplotlib", reason="the report's charts need the eval extra")


@pytest.fixture(scope="module", autouse=True)
def browser() -> str:
    """Skips (or fails, in CI) before the evaluation runs where there is no browser."""
    return chromium()


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`memento eval` (held-out, none and kernel, 2 rounds); its run folder."""
    folder = tmp_path_factory.mktemp("eval")
    assert run_eval_cli(folder) == 0
    return folder / "run"


def _check(page: Path, profile: Path) -> Element:
    """Load the page; assert a clean console; the DOM the browser built."""
    loaded = load(page, profile)
    assert loaded.console == []
    dom = parse(loaded.dom)
    assert dom.find_all("script") == [] and dom.find_all("img") == []
    assert HOSTILE in dom.text  # the markup is shown as text
    return dom


def _assert_cases(dom: Element, expected_rows: int) -> None:
    rows = dom.find_all("table", "cases")[0].find_all("tr")[1:]
    assert len(rows) == expected_rows > 0
    rewards = [float(r.find_all("span", "reward")[0].text) for r in rows]
    q_values = [float(r.find_all("span", "q")[0].text) for r in rows]
    assert set(rewards) == {0.0, 1.0} and len(q_values) == len(rows)
    figures = dom.find_all("section", "bank")[0].find_all("svg")
    assert len(figures) == 2  # rewards over time, Q against reward
    assert len(figures[1].find_all("use", "point")) == len(rows)


def test_the_eval_report_loads_clean_and_shows_curves_cases_and_trajectories(
    evaluation: Path, tmp_path: Path
) -> None:
    dom = _check(evaluation / "report.html", tmp_path / "profile")
    summary = json.loads((evaluation / "summary.json").read_text())
    learning = next(s for s in dom.find_all("section") if s.attrs.get("id") == "learning")
    points = learning.find_all("svg")[0].find_all("use", "point")
    drawn = sorted((p.attrs["data-series"], float(p.attrs["data-x"])) for p in points)
    assert drawn == sorted((r["memory"], float(r["round"])) for r in summary["rows"])
    assert len(learning.find_all("path", "baseline")) == 1  # memory "none"
    _assert_cases(dom, expected_rows=6)  # one case per training question
    trajectories = next(s for s in dom.find_all("section") if s.attrs.get("id") == "trajectories")
    assert len(trajectories.find_all("div", "task")) == 2 * 4


def test_the_cases_report_loads_clean_with_the_evaluation_beside_the_bank(
    evaluation: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "bank.html"
    bank = ["--store", str(evaluation / "bank"), "--namespace", "default-kernel"]
    code = main(["cases", "report", *bank, "--out", str(page), "--eval", str(evaluation)])
    assert code == 0
    assert f"wrote {page}" in capsys.readouterr().out
    dom = _check(page, tmp_path / "profile")
    assert dom.find_all("section", "bank")[0].attrs["data-namespace"] == "default-kernel"
    _assert_cases(dom, expected_rows=6)
    assert any(s.attrs.get("id") == "learning" for s in dom.find_all("section"))


def test_the_check_sees_a_script_and_a_fetch_the_page_refuses(
    evaluation: Path, tmp_path: Path
) -> None:
    """The same page with a script and an image from the network spliced in: the browser's
    console reports both, so a clean console above means something."""
    html = (evaluation / "report.html").read_text(encoding="utf-8")
    spliced = html.replace(
        "<body>", '<body><script>document.title="ran"</script><img src="https://cdn.example/x.png">'
    )
    page = tmp_path / "spliced.html"
    page.write_text(spliced, encoding="utf-8")
    console = load(page, tmp_path / "profile").console
    assert len(console) == 2 and all("Content Security Policy" in line for line in console)


def test_every_chart_of_the_eval_report_is_drawn_on_screen(
    evaluation: Path, tmp_path: Path
) -> None:
    """The learning curves show the kernel's curve and the dashed baseline of memory "none";
    the bank's history and Q charts show right and wrong cases as green and red points, the
    history its running mean, the Q chart its line at Q = 0."""
    from evals.charts import BAD, COLOURS, GOOD
    from tests.chart_shots import chart_images, charts_of, ink, pixels_of, rgb, widest_row

    html = (evaluation / "report.html").read_text(encoding="utf-8")
    learning, history, q = chart_images(charts_of(html), tmp_path)
    for image in (learning, history, q):
        assert ink(image) > 0.03  # something is drawn
    kernel, baseline = rgb(COLOURS["kernel"]), rgb(COLOURS["none"])
    assert pixels_of(learning, kernel) > 100  # the kernel's curve (here under the baseline)
    assert widest_row(learning, baseline) > 150  # a dashed line across the rounds
    assert pixels_of(history, rgb(GOOD)) > 40 and pixels_of(history, rgb(BAD)) > 40
    assert pixels_of(history, kernel) > 200  # the running mean
    assert pixels_of(q, rgb(GOOD)) > 30 and pixels_of(q, rgb(BAD)) > 30
    assert widest_row(q, baseline) > 150  # Q = 0


def test_the_screenshot_check_fails_on_an_empty_or_broken_chart(
    evaluation: Path, tmp_path: Path
) -> None:
    """An empty chart, and the learning curves with their drawing cut out (axes and text
    kept), do not pass the checks above."""
    from evals.charts import COLOURS
    from tests.chart_shots import chart_images, charts_of, ink, pixels_of, rgb, widest_row

    learning = charts_of((evaluation / "report.html").read_text(encoding="utf-8"))[0]
    empty = '<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="400" height="300"/>'
    svg = ET.fromstring(learning)
    for parent in list(svg.iter()):  # every curve, marker and baseline goes; axes stay
        for group in [g for g in parent if g.get("id", "").startswith("learning-series-")]:
            parent.remove(group)
    cut = ET.tostring(svg, encoding="unicode")
    assert len(cut) < len(learning)
    blank, broken = chart_images([empty, cut], tmp_path)
    assert ink(blank) < 0.01
    assert pixels_of(broken, rgb(COLOURS["kernel"])) < 100
    assert widest_row(broken, rgb(COLOURS["none"])) < 150
