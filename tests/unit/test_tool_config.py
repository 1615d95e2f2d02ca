"""Bundled server options and config-file reading: what turns a server on, and clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graphs.settings import ConfigError, load_settings, read_config_file
from tools import ToolConfigError, build_connections
from tools.bundled import PACKAGE_ROOT, bundled_connections


def test_calculator_and_python_are_on_by_default_and_the_others_off() -> None:
    connections = bundled_connections({})
    assert list(connections) == ["calculator", "python"]
    assert connections["python"] == {
        "transport": "stdio",
        "command": sys.executable,
        "args": ["-m", "tools.servers.python_sandbox"],
        "cwd": PACKAGE_ROOT,
    }
    assert (Path(PACKAGE_ROOT) / "tools" / "servers" / "python_sandbox.py").is_file()


def test_options_switch_servers_on_with_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"text": "x"}\n')
    monkeypatch.chdir(tmp_path)
    connections = bundled_connections(
        {
            "files_root": "docs",
            "corpus": "corpus.jsonl",
            "corpus_cache_dir": "cache",
            "searxng_url": "http://localhost:8888",
            "python_timeout_s": 5,
            "python_memory_mb": 512,
        }
    )
    assert list(connections) == ["calculator", "python", "files", "corpus_search", "web_search"]
    assert connections["files"]["args"][1:] == [
        "tools.servers.files",
        "--root",
        str(tmp_path / "docs"),
    ]
    assert connections["corpus_search"]["args"][3:] == [
        str(tmp_path / "corpus.jsonl"), "--cache-dir", str(tmp_path / "cache"),
    ]  # fmt: skip
    assert connections["web_search"]["args"][2:] == ["--url", "http://localhost:8888"]
    assert connections["python"]["args"][2:] == ["--timeout-s", "5", "--memory-mb", "512"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"file_root": "."}, "unknown tool option 'file_root'; known: corpus, "),
        (
            {"files_root": "/nonexistent/folder"},
            "'files_root': '/nonexistent/folder' is not a folder",
        ),
        ({"corpus": "/nonexistent.json"}, "'corpus': '/nonexistent.json' is not a file"),
        ({"python_timeout_s": "ten"}, "'python_timeout_s' must be a positive number"),
        ({"python_memory_mb": -1}, "'python_memory_mb' must be a positive number"),
        ({"searxng_url": 8888}, "'searxng_url' must be a string"),
    ],
)
def test_bad_options_are_named(options: dict, message: str) -> None:
    with pytest.raises(ToolConfigError, match=message):
        bundled_connections(options)


def test_a_user_can_switch_a_bundled_server_off() -> None:
    assert list(build_connections({"python": None})) == ["calculator"]


def test_a_config_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "memento.json"
    path.write_text('{"mcp_servers": {"x": {"command": "x-server"}}}')
    assert read_config_file(path) == {"mcp_servers": {"x": {"command": "x-server"}}}
    assert "x" in load_settings(path).connections()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "does not exist"),
        (
            '{\n  "mcp_servers": {,}\n}',
            "is not valid JSON: Expecting property name .* line 2, column 19",
        ),
        ("[1, 2]", "must hold a JSON object"),
    ],
)
def test_config_file_errors_name_the_file_and_place(
    tmp_path: Path, text: str | None, message: str
) -> None:
    path = tmp_path / "memento.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError, match=f"config file '{path}' {message}"):
        read_config_file(path)
