"""The MCP servers that ship with Memento, as stdio connections to this Python.

Always on: `calculator` and `python` (the sandbox). On when configured: `files` (needs a root),
`corpus_search` (needs a corpus) and `web_search` (needs a SearxNG URL). `files` has no default
root on purpose: the current folder may be a home directory, and nothing is shown to a model
unless the user names it. Switch a server off with the config's ``tools.enabled`` list or by
setting it to ``null`` under ``mcp_servers``.

Options (the ``tools`` section of a config file, less ``enabled``):

    files_root               folder the `files` server may read
    files_max_chars          most characters one read returns (100000)
    corpus                   JSON or JSONL passages file for `corpus_search`
    corpus_cache_dir         where its BM25 index is cached (default: beside it, or
                             ~/.cache/memento/bm25 when that folder is read-only)
    searxng_url              SearxNG instance for `web_search`
    searxng_timeout_s        seconds per web request (15)
    python_timeout_s         default wall time of a snippet (10)
    python_max_timeout_s     the most a snippet may ask for (60)
    python_memory_mb         address-space limit of each process (1024)
    python_max_processes     processes/threads a snippet may add (32)
    python_max_file_mb       largest file a snippet may write (16)
    python_total_memory_mb   memory of all a snippet's processes together (1024)
    python_total_disk_mb     all a snippet may write, together (64)
    python_max_open_files    open files (256)
    python_max_output_bytes  kept of stdout and of stderr (20000)

Relative paths are taken from the current folder when the connections are built, and passed
to the servers as absolute paths.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from langchain_mcp_adapters.sessions import StdioConnection

from tools.errors import ToolConfigError

_PYTHON_LIMITS = (
    "timeout_s",
    "max_timeout_s",
    "memory_mb",
    "max_processes",
    "max_file_mb",
    "max_open_files",
    "max_output_bytes",
    "total_memory_mb",
    "total_disk_mb",
)
_PATH_OPTIONS = {"files_root", "corpus", "corpus_cache_dir"}
_TEXT_OPTIONS = {"searxng_url"}
_NUMBER_OPTIONS = {"files_max_chars", "searxng_timeout_s"} | {f"python_{n}" for n in _PYTHON_LIMITS}
KNOWN_OPTIONS = frozenset(_PATH_OPTIONS | _TEXT_OPTIONS | _NUMBER_OPTIONS)


# The folder that holds the `tools` package: a bundled server started there can import it
# whatever the caller's working directory (a source checkout, an editable or a normal install).
PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


def stdio_module(module: str, *args: str) -> StdioConnection:
    """A stdio connection that runs `python -m module` with this interpreter."""
    return {
        "transport": "stdio",
        "command": sys.executable,
        "args": ["-m", module, *args],
        "cwd": PACKAGE_ROOT,
    }


def _checked(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise ToolConfigError(
            f"unknown tool option {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    values = {k: v for k, v in options.items() if v is not None}
    for name, value in values.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if name in _NUMBER_OPTIONS and not (number and value > 0):
            raise ToolConfigError(f"tool option {name!r} must be a positive number, got {value!r}")
        if name in _PATH_OPTIONS | _TEXT_OPTIONS and not isinstance(value, str | Path):
            raise ToolConfigError(f"tool option {name!r} must be a string, got {value!r}")
    return values


def _existing(options: dict[str, Any], name: str, check: Callable[[Path], bool], what: str) -> str:
    path = Path(options[name]).expanduser().resolve()
    if not check(path):
        raise ToolConfigError(f"tool option {name!r}: {str(path)!r} is not {what}")
    return str(path)


def _flags(options: dict[str, Any], names: dict[str, str]) -> list[str]:
    """``--flag value`` for each option that is set, in a stable order."""
    return [
        part
        for name, flag in names.items()
        if name in options
        for part in (flag, str(options[name]))
    ]


def bundled_connections(options: Mapping[str, Any]) -> dict[str, StdioConnection]:
    """Connections for every bundled server that is on by default or configured by options."""
    values = _checked(options)
    python_flags = {f"python_{n}": "--" + n.replace("_", "-") for n in _PYTHON_LIMITS}
    connections = {
        "calculator": stdio_module("tools.servers.calculator"),
        "python": stdio_module("tools.servers.python_sandbox", *_flags(values, python_flags)),
    }
    if "files_root" in values:
        root = _existing(values, "files_root", Path.is_dir, "a folder")
        extra = _flags(values, {"files_max_chars": "--max-chars"})
        connections["files"] = stdio_module("tools.servers.files", "--root", root, *extra)
    if "corpus" in values:
        corpus = _existing(values, "corpus", Path.is_file, "a file")
        extra = []
        if "corpus_cache_dir" in values:
            extra = ["--cache-dir", str(Path(values["corpus_cache_dir"]).expanduser().resolve())]
        connections["corpus_search"] = stdio_module(
            "tools.servers.corpus_search", "--corpus", corpus, *extra
        )
    if "searxng_url" in values:
        extra = _flags(values, {"searxng_url": "--url", "searxng_timeout_s": "--timeout-s"})
        connections["web_search"] = stdio_module("tools.servers.web_search", *extra)
    return connections
