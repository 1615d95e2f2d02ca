"""The Makefile does what the README says: `make test` runs the browser checks CI runs (or says
plainly that it left them out), and installs go through uv where there is one, else pip.

Each test runs the real Makefile in a scratch folder whose venv is a stand-in (stamp files newer
than pyproject.toml, so nothing is installed) and whose PATH holds only the tools named here:
no apt-get, so `.ci/need-chromium` installs nothing, and a browser only where a test puts one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("make", "sh", "id", "env", "touch", "cat")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _fake(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A checkout's Makefile and .ci scripts over a stand-in venv whose python logs its calls."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copytree(ROOT / ".ci", tmp_path / ".ci")
    (tmp_path / "pyproject.toml").write_text("")
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    log = f'echo "python $* MEMENTO_REQUIRE_BROWSER=$MEMENTO_REQUIRE_BROWSER" >> {tmp_path}/calls'
    _fake(venv_bin / "python", log)
    for stamp in (".memento-demo-installed", ".memento-installed"):
        (tmp_path / ".venv" / stamp).touch()
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:
        (tools / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    return tmp_path


def _make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": str(project / "tools")}
    env.pop("MEMENTO_REQUIRE_BROWSER", None)
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_test_with_a_browser_requires_the_browser_checks(project: Path) -> None:
    _fake(project / "tools" / "chromium", "exit 0")
    done = _make(project, "test")
    assert done.returncode == 0, done.stderr
    calls = (project / "calls").read_text().splitlines()
    assert calls == ["python -m pytest -q MEMENTO_REQUIRE_BROWSER=1"]  # a skip would fail
    assert "left out" not in done.stdout


def test_make_test_without_a_browser_says_what_it_left_out_and_how_to_run_it(
    project: Path,
) -> None:
    done = _make(project, "test")
    assert done.returncode == 0, done.stderr
    assert (project / "calls").read_text().splitlines() == [
        "python -m pytest -q MEMENTO_REQUIRE_BROWSER="
    ]
    last = done.stdout.strip().splitlines()[-1]
    assert "left out the report pages' browser checks (no chromium)" in last
    assert "apt-get install chromium" in last and ".ci/run" in last


def test_make_test_fails_when_the_suite_fails_even_without_a_browser(project: Path) -> None:
    _fake(project / ".venv" / "bin" / "python", "exit 3")
    done = _make(project, "test")
    assert done.returncode != 0
    assert "left out" in done.stdout


def test_installs_go_through_the_venvs_uv_else_pip(project: Path) -> None:
    for stamp in (".memento-demo-installed", ".memento-installed"):
        (project / ".venv" / stamp).unlink()
    dry = _make(project, "-n", "setup").stdout
    assert '.venv/bin/python -m pip install -e ".[local]"' in dry  # no uv anywhere: pip
    _fake(project / ".venv" / "bin" / "uv", "exit 0")
    dry = _make(project, "-n", "setup").stdout
    assert '.venv/bin/uv pip install -e ".[local]"' in dry
    assert '.venv/bin/uv pip install -e ".[test,local,pdf,eval]"' in dry


def test_the_test_summary_lists_each_skip_with_its_reason() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    assert "-rs" in options["ini_options"]["addopts"].split()
