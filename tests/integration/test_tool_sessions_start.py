"""ToolSessions starts its servers at once: tools still come in server order, and a server
that fails stops the others (no process left behind) and is named in the error."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tools import ToolSessions, build_connections
from tools.errors import ToolServerError

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def children() -> set[int]:
    """Live child processes of this test process (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def slow_calculator(delay_s: float, ready_marker: Path | None = None) -> dict:
    """The bundled calculator, started `delay_s` late; it touches `ready_marker` when it is
    about to serve."""
    touch = f"open({str(ready_marker)!r}, 'w').close(); " if ready_marker else ""
    script = (
        f"import time; time.sleep({delay_s}); {touch}"
        "from tools.servers.calculator import main; main()"
    )
    return {"command": sys.executable, "args": ["-c", script], "env": {"PYTHONPATH": str(ROOT)}}


async def test_tools_come_in_server_order_whichever_server_is_ready_first() -> None:
    connections = build_connections(
        {"slow_calc": slow_calculator(1.0)}, enabled=["slow_calc", "python"]
    )
    async with ToolSessions(connections) as sessions:
        assert [t.name for t in sessions.tools] == ["calculate", "run_python"]
        assert sessions.server_of == {"calculate": "slow_calc", "run_python": "python"}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
async def test_a_server_that_fails_stops_the_others_and_is_named(tmp_path: Path) -> None:
    """The broken server, configured last, starts while the first is still starting (it says
    which in its error line): the servers start at once, not one after the other."""
    marker = tmp_path / "calculator-ready"
    says = (
        f"import os; raise SystemExit('first ready' if os.path.exists({str(marker)!r}) "
        "else 'first still starting')"
    )
    broken = {"command": sys.executable, "args": ["-c", says]}
    connections = build_connections(
        {"slow_calc": slow_calculator(2.0, marker), "broken": broken},
        enabled=["slow_calc", "python", "broken"],
    )
    before = children()
    with pytest.raises(ToolServerError, match="MCP server 'broken' failed to start") as failure:
        async with ToolSessions(connections):
            pytest.fail("the body must not run")
    said = str(failure.value).removeprefix("MCP server 'broken' failed to start: ")
    assert said.startswith("first still starting ("), said  # its last error line
    assert children() - before == set()  # the calculator and python servers were stopped
