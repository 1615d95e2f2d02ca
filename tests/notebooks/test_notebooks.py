"""The notebooks run top to bottom offline from an install (nbclient, a fresh kernel each, in
a folder outside the checkout), use only the installed packages, write nothing into the
checkout, assert what they teach and are committed clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs nbclient, nbformat and ipykernel")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient, nbformat and ipykernel")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Unset so that no notebook reaches for a model endpoint or a user's config: CI is offline.
ENDPOINT_VARIABLES = ("MEMENTO_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "MEMENTO_CONFIG")
INSTALLED = {"memento", "graphs", "nodes", "memory", "tools", "evals"}
"""The project's packages in an install (pyproject's packages.find); `tests` is not one."""


def code_of(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def parsed(source: str) -> ast.Module:
    """A cell as Python: top-level `await` is what a notebook allows and `ast` does not."""
    return ast.parse(source.replace("await ", ""))


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_case_bank_and_q.ipynb",
        "03_learning_curve.ipynb",
        "04_namespaces_and_eval_mode.ipynb",
        "05_agent_middleware.ipynb",
    ]


def test_installed_is_what_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in patterns} == INSTALLED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_only_an_install_and_never_the_checkout(path: Path) -> None:
    """No `tests.*` (not installed), no chdir or sys.path edit to reach into a checkout; every
    project module it imports is one the install has."""
    local = {p.stem for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    local |= {p.stem for p in ROOT.glob("*.py")}
    for source in code_of(path):
        for node in ast.walk(parsed(source)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                modules = []
            for module in modules:
                top = module.split(".")[0]
                assert top not in local - INSTALLED, f"{path.name} imports {module}"
            if isinstance(node, ast.Attribute) and node.attr in {"chdir", "path"}:
                owner = node.value
                assert not (isinstance(owner, ast.Name) and owner.id in {"os", "sys"}), (
                    f"{path.name} uses {owner.id}.{node.attr}"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_asserts_what_it_teaches(path: Path) -> None:
    asserts = sum(
        isinstance(node, ast.Assert)
        for source in code_of(path)
        for node in ast.walk(parsed(source))
    )
    assert asserts >= 3, f"{path.name} has {asserts} assert statements"


def checkout_changes() -> str:
    """Files added or changed in the checkout that git does not ignore ('' outside git)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        return ""
    command = [git, "status", "--porcelain", "--untracked-files=all"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_offline_outside_the_checkout(
    path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working folder
    )
    before = checkout_changes()
    started = time.perf_counter()
    client.execute()
    with capsys.disabled():
        print(f"\n{path.name} ran in {time.perf_counter() - started:.1f} s", end=" ")
    assert checkout_changes() == before, f"{path.name} wrote into the checkout"
    assert list(tmp_path.iterdir()) == [], f"{path.name} left files in its working folder"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, path.name
