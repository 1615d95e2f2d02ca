"""A safe calculator MCP server: each expression is evaluated in a worker process with a time
limit (`worker_pool.py`), by `arithmetic.py`, which parses it with `ast` and bounds every step.

The bounds keep every evaluation to milliseconds; the worker processes are the second line of
defence: should some path still be slow, it costs one worker `EVALUATION_TIMEOUT_S` seconds and
is killed, while other calls go on in other workers and the server's event loop stays free.
Run it alone with ``python -m tools.servers.calculator``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
from mcp.server.fastmcp import FastMCP

from tools.servers.arithmetic import (
    MAX_EXPONENT,
    CalculatorError,
    calculate_expression,
    format_number,
)
from tools.servers.worker_pool import WorkerFailed, WorkerPool, WorkerTimeout

__all__ = ["MAX_EXPONENT", "CalculatorError", "build_pool", "calculate_expression", "format_number"]

EVALUATION_TIMEOUT_S = 5.0
WORKERS = 4

_WORKER = str(Path(__file__).resolve().with_name("arithmetic.py"))


def build_pool(timeout_s: float = EVALUATION_TIMEOUT_S, size: int = WORKERS) -> WorkerPool:
    """Workers that run `arithmetic.serve` in isolated interpreters (-I -S: fast to start)."""
    return WorkerPool([sys.executable, "-I", "-S", _WORKER], timeout_s=timeout_s, size=size)


def evaluate_in_worker(pool: WorkerPool, expression: str) -> str:
    """The formatted result, or CalculatorError saying why there is none (the time limit too)."""
    try:
        answer = pool.ask({"expression": expression})
    except WorkerTimeout as exc:
        raise CalculatorError(
            f"the calculation took longer than {pool.timeout_s:g} s and was stopped; "
            "split it into smaller steps"
        ) from exc
    except WorkerFailed as exc:
        raise CalculatorError(f"the calculator's worker failed: {exc}") from exc
    if "error" in answer:
        raise CalculatorError(answer["error"])
    return str(answer["result"])


def build_server(pool: WorkerPool) -> FastMCP:
    """The MCP server with its one tool, `calculate`, evaluated by `pool`."""
    mcp = FastMCP("calculator", log_level="WARNING")  # INFO logs every request to stderr

    @mcp.tool()
    async def calculate(expression: str) -> str:
        """Evaluate an arithmetic expression exactly, e.g. "(3 + 4) * 2", "2**10", "sqrt(2)",
        "15% of 80", "round(7/3, 2)". Supports + - * / // % ** and sqrt, abs, round, floor,
        ceil, min, max, percent(part, whole)."""
        return await anyio.to_thread.run_sync(evaluate_in_worker, pool, expression)

    return mcp


def main() -> None:
    pool = build_pool()
    try:
        build_server(pool).run()
    finally:
        pool.close()


if __name__ == "__main__":
    main()
