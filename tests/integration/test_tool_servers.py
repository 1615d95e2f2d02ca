"""Every bundled server for real: started over stdio and called through langchain-mcp-adapters.

A tool that fails comes back as a ToolMessage with status "error" (the adapters' default,
handle_tool_errors=True), never as an exception in the caller.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from memento.cli import main
from nodes.models import message_text
from tests.searxng_stub import stub_searxng
from tools import ToolServerError, ToolSessions, build_connections

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@asynccontextmanager
async def open_tools(
    *servers: str, user: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[dict[str, BaseTool]]:
    connections = build_connections(user, enabled=servers, bundled_options=options)
    async with ToolSessions(connections) as sessions:
        yield {tool.name: tool for tool in sessions.tools}


async def call(tool: BaseTool, **args: Any) -> ToolMessage:
    return await tool.ainvoke({"type": "tool_call", "name": tool.name, "args": args, "id": "1"})


def structured(message: ToolMessage) -> dict[str, Any]:
    """The tool's structured result, which must agree with the JSON text the model reads."""
    data = message.artifact["structured_content"]
    assert json.loads(message_text(message)) == data
    return data


async def test_calculator_over_stdio() -> None:
    async with open_tools("calculator") as tools:
        assert message_text(
            await call(tools["calculate"], expression="round(2.5) + 15% of 80")
        ) == ("15")
        failed = await call(tools["calculate"], expression="log(2)")
        assert failed.status == "error" and "unknown function 'log'" in message_text(failed)


async def test_python_sandbox_over_stdio() -> None:
    leaky_env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-do-not-leak"}
    python = {"command": sys.executable, "args": ["-m", "tools.servers.python_sandbox"]}
    async with open_tools("python", user={"python": {**python, "env": leaky_env}}) as tools:
        run_python = tools["run_python"]
        done = structured(
            await call(run_python, code="import os\nprint(6 * 7, sorted(os.environ))")
        )
        assert done["exit_code"] == 0 and done["stdout"].startswith("42 [")
        assert "OPENAI_API_KEY" not in done["stdout"]  # the server had it; the snippet must not
        looped = structured(await call(run_python, code="while True: pass", timeout_s=1))
        assert looped["timed_out"] and looped["limit_hit"] == "time"
        hungry = structured(await call(run_python, code="x = bytearray(2 * 1024**3)"))
        assert hungry["limit_hit"] == "memory" and "MemoryError" in hungry["stderr"]


async def test_files_over_stdio(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    root = tmp_path / "root"
    root.mkdir()
    (root / "scores.csv").write_text("team,points\nred,3\nblue,5\n")
    async with open_tools("files", files_root=str(root)) as tools:
        listing = structured(await call(tools["list_files"]))
        assert [e["name"] for e in listing["entries"]] == ["scores.csv"]
        shown = message_text(await call(tools["read_file"], path="scores.csv"))
        assert shown.splitlines()[1:] == ["team | points", "red | 3", "blue | 5"]
        refused = await call(tools["read_file"], path="../secret.txt")
        assert refused.status == "error" and "outside the files root" in message_text(refused)
        assert "TOP-SECRET" not in message_text(refused)


async def test_corpus_search_over_stdio(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.json"
    passages = {
        "Ada Lovelace": ["Ada Lovelace was an English mathematician.", " She wrote on the engine."],
        "Charles Babbage": ["Charles Babbage designed the Analytical Engine."],
        "Alan Turing": ["Alan Turing formalised computation with the Turing machine."],
    }
    corpus.write_text(json.dumps(passages))
    async with open_tools("corpus_search", corpus=str(corpus)) as tools:
        found = structured(await call(tools["search"], query="who designed the Analytical Engine"))
        assert [hit["title"] for hit in found["hits"]][:2] == ["Charles Babbage", "Ada Lovelace"]
        passage = structured(await call(tools["read_passage"], id="Ada Lovelace"))
        assert (
            passage["text"] == "Ada Lovelace was an English mathematician. She wrote on the engine."
        )
        missing = await call(tools["read_passage"], id="Grace Hopper")
        assert missing.status == "error" and "no passage has id 'Grace Hopper'" in message_text(
            missing
        )
    assert (tmp_path / "corpus.json.bm25.npz").is_file()  # the index was cached beside it


async def test_web_search_over_stdio() -> None:
    with stub_searxng() as searxng:
        async with open_tools("web_search", searxng_url=searxng.url) as tools:
            found = structured(await call(tools["web_search"], query="capital of France", k=2))
    assert [r["title"] for r in found["results"]] == ["Result 1", "Result 2"]
    assert found["answers"] == ["Paris"]


async def test_web_search_names_an_unreachable_instance() -> None:
    async with open_tools("web_search", searxng_url="http://127.0.0.1:9") as tools:
        failed = await call(tools["web_search"], query="anything")
    assert failed.status == "error"
    assert "SearxNG at http://127.0.0.1:9 is unreachable" in message_text(failed)


async def test_a_server_whose_corpus_vanished_fails_to_start_with_its_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"text": "x"}\n')
    connections = build_connections(enabled=["corpus_search"], bundled_options={"corpus": corpus})
    corpus.unlink()
    with pytest.raises(ToolServerError, match="MCP server 'corpus_search' failed to start"):
        async with ToolSessions(connections):
            pass


def test_tools_list_names_a_server_that_cannot_import_its_package_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A user server whose command fails (here: a package missing from its environment, as
    when it needs mcp 2.x) is named with the server's own last error line, and its traceback
    does not flood the terminal."""
    server = {"command": sys.executable, "args": ["-c", "import weather_mcp_not_installed"]}
    config = tmp_path / "memento.json"
    config.write_text(
        json.dumps({"mcp_servers": {"weather": server}, "tools": {"enabled": ["weather"]}})
    )
    assert main(["tools", "list", "--config", str(config)]) == 1
    err = capfd.readouterr().err
    assert err.strip().splitlines() == [
        "memento: error: MCP server 'weather' failed to start: ModuleNotFoundError: No module "
        "named 'weather_mcp_not_installed' (its last error line; command: "
        f"{sys.executable} -c 'import weather_mcp_not_installed')"
    ], err


async def test_a_running_servers_log_lines_still_reach_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Held back only while the server starts: then passed on, earlier lines first."""
    script = (
        "import sys; print('calc starting', file=sys.stderr, flush=True); "
        "from tools.servers.calculator import main; main()"
    )
    connections = build_connections(
        {
            "calc": {
                "command": sys.executable,
                "args": ["-c", script],
                "env": {"PYTHONPATH": str(ROOT)},
            }
        },
        enabled=["calc"],
    )
    async with ToolSessions(connections) as sessions:
        assert [t.name for t in sessions.tools] == ["calculate"]
    assert "calc starting" in capfd.readouterr().err


def test_memento_tools_list_prints_every_tool_with_its_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    config = tmp_path / "memento.json"
    config.write_text(
        json.dumps({"tools": {"enabled": ["calculator", "files"], "files_root": str(root)}})
    )
    assert main(["tools", "list", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert "calculator / calculate" in text and "files / read_file" in text
    assert text.rstrip().endswith("3 tools from 2 servers: calculator, files")

    assert main(["tools", "list", "--config", str(config), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["server"], t["name"]) for t in listed] == [
        ("calculator", "calculate"),
        ("files", "list_files"),
        ("files", "read_file"),
    ]
    assert listed[0]["args_schema"]["required"] == ["expression"]

    assert main(["tools", "list", "--config", str(config), "--names"]) == 0
    assert capsys.readouterr().out.split() == [
        "calculator/calculate",
        "files/list_files",
        "files/read_file",
    ]


def test_memento_tools_list_reports_a_bad_config_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "memento.json"
    config.write_text('{"tools": {"enabled": ["calculator"],}}')
    assert main(["tools", "list", "--config", str(config)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("memento: error: config file") and "line 1, column 38" in error
