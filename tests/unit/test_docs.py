"""The docs site: its generated reference pages say what the code says, and it builds strictly.

The configuration and CLI reference pages are generated from `MementoContext` and the `memento`
parsers by `docs/gen_reference.py` and committed; a field or an option changed without
regenerating them fails here. The strict build fails on a missing page, a page left out of the
nav, and a broken link or anchor (mkdocs.yml's `validation`), which the last tests make sure of.
No network: mkdocs builds from local files only.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python docs/gen_reference.py"


def generator() -> ModuleType:
    """docs/gen_reference.py, loaded from its file (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "docs" / "gen_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_committed_reference_pages_are_what_the_code_generates() -> None:
    stale = [
        str(path)
        for path, page in generator().pages().items()
        if not (ROOT / path).is_file() or (ROOT / path).read_text() != page
    ]
    assert not stale, (
        f"{', '.join(stale)} no longer match the code: run `{REGENERATE}` from the repository "
        "root and commit the result"
    )


def test_the_configuration_reference_shows_code_defaults_not_this_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = generator().configuration_page()
    monkeypatch.setenv("MEMENTO_MODEL", "a-model-of-this-machine")
    monkeypatch.setenv("MEMENTO_STORE", "/a/store/of/this/machine")
    monkeypatch.setenv("MEMENTO_NAMESPACE", "this-machine")
    after = generator().configuration_page()
    assert after == before
    assert "this-machine" not in after and "this/machine" not in after


def test_the_references_cover_every_field_and_every_command() -> None:
    from graphs import MementoContext
    from memento.cli import build_parser

    module = generator()
    configuration = module.configuration_page()
    for name in MementoContext.field_names():
        assert f"| `{name}` |" in configuration, name
    cli = module.cli_page()
    for parser, _ in module.commands(build_parser()):
        assert f"\n## {parser.prog}\n" in cli, parser.prog
    assert "## memento cases prune" in cli and "`--dry-run`" in cli


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = build(ROOT, tmp_path / "site")
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}"
    assert (tmp_path / "site" / "reference" / "configuration" / "index.html").is_file()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("[a page](no-such-page.md)", "no-such-page.md"),
        ("[a section](cli.md#no-such-section)", "no-such-section"),
        (None, "orphan.md"),  # a page that the nav leaves out
    ],
)
def test_a_broken_link_or_a_missing_page_fails_the_build(
    tmp_path: Path, change: str | None, named: str
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "docs", project / "docs")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    if change is None:
        (project / "docs" / named).write_text("# Orphan\n")
    else:
        index = project / "docs" / "index.md"
        index.write_text(index.read_text() + f"\nSee {change}.\n")
    result = build(project, tmp_path / "site")
    assert result.returncode != 0
    assert named in result.stdout + result.stderr


def test_the_readme_links_only_to_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "the README links to no docs page"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, missing


def test_the_readme_is_a_front_door() -> None:
    """It opens with the two fresh-machine commands (`.ci/run` runs the second) and stays short:
    the reference lives in docs/."""
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert len(readme.splitlines()) <= 250, "move reference material to a page under docs/"
