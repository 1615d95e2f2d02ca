"""The notebooks run top to bottom offline (nbclient, a fresh kernel each) and are kept clean."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs nbclient, nbformat and ipykernel")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient, nbformat and ipykernel")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
# Unset so that no notebook reaches for a model endpoint or a user's config: CI is offline.
ENDPOINT_VARIABLES = ("MEMENTO_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "MEMENTO_CONFIG")


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_case_bank_and_q.ipynb",
        "03_learning_curve.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_offline(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    with capsys.disabled():
        print(f"\n{path.name} ran in {time.perf_counter() - started:.1f} s", end=" ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, path.name
