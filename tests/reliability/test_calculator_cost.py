"""Issue 15.5: no expression can keep the calculator busy, and one slow call blocks no other.

Every costly path is refused by a bound before it runs (`arithmetic.py`); the evaluations run
in worker processes that are killed past a time limit (`worker_pool.py`). The limits in these
tests are generous: they only matter when something is broken (the old calculator spent
hours on `round(1, 10**9)` inside the server's event loop).
"""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest

from nodes.models import message_text
from tools import ToolSessions, build_connections
from tools.servers.calculator import CalculatorError, build_pool, evaluate_in_worker
from tools.servers.worker_pool import WorkerPool, WorkerTimeout

GENEROUS_S = 60

COSTLY = {
    "round(1, 10**9)": "round takes a whole number of digits",
    "round(1, 10**3 + 1)": "round takes a whole number of digits",
    "(9**9999)**9999": "more than 14000 bits",
    "((2**100)**100)**100": "more than 14000 bits",
    "10**4000 * 10**4000": "more than 14000 bits",
    "3**10000": "more than 14000 bits",
    "1/(3**8000) + 1/(7**8000)": "more than 14000 bits",
    "floor(10**4000 * 10**4000 / 7)": "more than 14000 bits",
    "percent(10**4000, 1/10**4000)": "more than 14000 bits",
    "sqrt(2) * 10**300 * 10**300": "outside the range of floating-point numbers",
    "-" * 1500 + "1": "nested more than 200 levels",
    "a" * 900 + "(" * 1000: "cannot parse",
}


@pytest.fixture
def pool():
    workers = build_pool(timeout_s=GENEROUS_S)
    yield workers
    workers.close()


@pytest.mark.parametrize("expression", list(COSTLY))
def test_every_costly_expression_is_refused_by_a_bound(pool, expression: str) -> None:
    with pytest.raises(CalculatorError) as refused:
        evaluate_in_worker(pool, expression)
    assert COSTLY[expression] in str(refused.value)
    assert "took longer" not in str(refused.value)


def test_long_sums_and_large_but_bounded_numbers_still_work(pool) -> None:
    assert evaluate_in_worker(pool, "+".join(["1"] * 999)) == "999"
    assert evaluate_in_worker(pool, "2**10000").startswith("19950631168807583848837")
    assert evaluate_in_worker(pool, "1" * 1999) == "1" * 1999


# A worker that echoes, or sleeps for as long as it is asked: a stand-in for a slow evaluation.
_SLEEPER = """
import json, sys, time
for line in sys.stdin:
    request = json.loads(line)
    time.sleep(request.get("sleep", 0))
    print(json.dumps({"echo": request["echo"]}), flush=True)
"""


def test_a_slow_call_is_killed_and_blocks_neither_a_concurrent_nor_a_later_call() -> None:
    pool = WorkerPool([sys.executable, "-c", _SLEEPER], timeout_s=3, size=2)
    try:
        slow_error: list[BaseException] = []

        def slow() -> None:
            try:
                pool.ask({"echo": "slow", "sleep": 3600})
            except BaseException as exc:
                slow_error.append(exc)

        thread = threading.Thread(target=slow)
        thread.start()
        assert pool.ask({"echo": "beside"}) == {"echo": "beside"}
        thread.join(GENEROUS_S)
        assert not thread.is_alive() and isinstance(slow_error[0], WorkerTimeout)
        assert pool.ask({"echo": "after"}) == {"echo": "after"}
    finally:
        pool.close()


async def test_the_server_answers_after_a_costly_call() -> None:
    async with ToolSessions(build_connections(enabled=["calculator"])) as sessions:
        (calculate,) = sessions.tools

        async def ask(expression: str) -> str:
            call = {"name": "calculate", "args": {"expression": expression}, "id": "1"}
            message = await asyncio.wait_for(
                calculate.ainvoke({**call, "type": "tool_call"}), GENEROUS_S
            )
            return message_text(message)

        refused, after = await asyncio.gather(ask("round(1, 10**9)"), ask("17 * 23 + 4"))
        assert "round takes a whole number of digits" in refused
        assert after == "395"
        assert await ask("2**10") == "1024"
