"""Progress bars: tqdm's redrawn bar on a terminal (a real pseudo-terminal here), whole lines
with count, rate and time left everywhere else; the eval's one bar per phase."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from evals.runner import PhaseProgress
from memento.cli.bars import progress_bar, progress_callback
from memento.cli.eval import PhaseBars

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^work: (\d+)/5 task \[\d\d:\d\d<(\d\d:\d\d|\?),\s+([\d.]+|\?)task/s\]")


def test_off_a_terminal_each_update_is_a_whole_line_with_count_rate_and_time_left() -> None:
    out = io.StringIO()
    with progress_bar("work", 5, unit="task", stream=out, interval=0) as bar:
        for _ in range(5):
            time.sleep(0.01)
            bar.update()
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    counts = [int(LINE.match(line).group(1)) for line in lines]  # every line has the figures
    assert counts == [0, 1, 2, 3, 4, 5]  # the closing display repeats nothing
    rate = float(LINE.match(lines[-1]).group(3))
    assert 10 < rate < 200  # ~100 tasks/s, measured, not made up


def test_off_a_terminal_lines_are_throttled_to_the_first_and_the_last() -> None:
    out = io.StringIO()
    with progress_bar("work", 1000, unit="task", stream=out, interval=60) as bar:
        for _ in range(1000):
            bar.update()
    lines = out.getvalue().splitlines()
    assert [line.split(" [")[0] for line in lines] == ["work: 0/1000 task", "work: 1000/1000 task"]


@pytest.mark.parametrize("columns", [100, 0], ids=["sized", "no size reported"])
def test_on_a_terminal_the_bar_redraws_in_place(columns: int) -> None:
    """A child process whose stderr is a pseudo-terminal: tqdm draws its bar there, also on a
    terminal that reports no size (it is then drawn at $COLUMNS)."""
    script = (
        "import time\n"
        "from memento.cli.bars import progress_bar\n"
        "with progress_bar('work', 5, unit='task') as bar:\n"
        "    for _ in range(5):\n"
        "        time.sleep(0.15)\n"
        "        bar.update()\n"
    )
    leader, follower = pty.openpty()
    rows = 24 if columns else 0
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "90", "PYTHONIOENCODING": "utf-8"}
    child = subprocess.Popen(
        [sys.executable, "-c", script], stderr=follower, stdout=follower, env=env, cwd=ROOT
    )
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    assert child.wait(timeout=30) == 0
    text = received.decode("utf-8", "replace")
    redraws = text.split("\r")
    assert len(redraws) >= 4, text  # redrawn in place, not one line per update
    last = [r for r in redraws if "5/5" in r]
    assert last, text
    assert "100%" in last[-1] and "task/s" in last[-1] and "█" in last[-1]  # a drawn bar
    assert re.search(r"\d\d:\d\d<\d\d:\d\d", text)  # elapsed < time left


def test_a_callback_bar_opens_when_the_total_is_known_and_follows_it() -> None:
    out = io.StringIO()
    with progress_callback("import", unit="record", stream=out, interval=0) as on_progress:
        assert out.getvalue() == ""  # nothing to show before the first report
        on_progress(500, 1000)
        on_progress(1000, 1000)
        on_progress(1200, 1200)  # the total grew (more records than counted)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("import: 1200/1200 record [")
    assert any(line.startswith("import: 500/1000 record") for line in lines)


def test_a_step_in_phases_restarts_the_bar_for_its_next_phase() -> None:
    """Consolidation reports finding (per case), then merging (per group), each from 1."""
    out = io.StringIO()
    with progress_callback("prune", unit="case", stream=out, interval=0) as on_progress:
        on_progress(1, 4)
        on_progress(4, 4)
        on_progress(1, 2)  # the next phase starts again
        on_progress(2, 2)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("prune: 4/4 case") for line in lines)
    assert any(line.startswith("prune: 0/2 case") for line in lines)  # a new bar, from 0
    assert lines[-1].startswith("prune: 2/2 case")


def test_eval_phases_get_a_bar_each_and_a_resumed_phase_starts_where_it_stopped(
    monkeypatch,
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    with PhaseBars() as bars:
        bars.show(PhaseProgress("none round 0 eval", 0, 2, "accuracy n/a"))
        bars.show(PhaseProgress("none round 0 eval", 1, 2, "accuracy 1.000 (1 judged)"))
        bars.show(PhaseProgress("none round 0 eval", 2, 2, "accuracy 0.500 (2 judged)"))
        bars.show(PhaseProgress("kernel round 1 eval", 3, 4, "accuracy 0.667 (3 judged)"))
        bars.show(PhaseProgress("kernel round 1 eval", 4, 4, "accuracy 0.750 (4 judged)"))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("none round 0 eval: 0/2 task")
    assert any(
        line.startswith("none round 0 eval: 2/2 task")
        and line.endswith("accuracy 0.500 (2 judged)")
        for line in lines
    )
    kernel = [line for line in lines if line.startswith("kernel")]
    assert kernel[0].startswith("kernel round 1 eval: 3/4 task")  # resumed: 3 done before
    assert kernel[-1].startswith("kernel round 1 eval: 4/4 task")
