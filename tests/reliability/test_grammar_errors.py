"""A server whose constrained decoding fails (llama.cpp's grammar error) degrades a run, never
ends it: the planner, the executor and the judge each ask once more without the constraint,
the run ends with an answer and a case, and says in one line what happened.

Driven through the CLI against a loopback endpoint that answers every constrained request (a
forced tool call: structured output or a forced tool) with the exact HTTP 500 llama.cpp's server
sends, and plain requests with plain text. Misconfiguration (4xx) and other server errors still
fail loudly: only the grammar failure class degrades.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from memento.cli import main
from memento.llama_server import ForwardingHandler, retry_headers
from nodes.judge import verdict_from_text
from tests.endpoints import (
    Reply,
    Request,
    error_reply,
    loopback_endpoint,
    text_reply,
    tool_call_reply,
)

GRAMMAR_500 = {
    "code": 500,
    "message": 'got exception: Unexpected empty grammar stack after accepting piece: {"',
    "type": "server_error",
}
ROLES = ("planner", "executor", "judge")


def _constrained(request: Request) -> str | None:
    """The function a request forces (structured output or a forced tool), or None."""
    choice = request.body.get("tool_choice")
    if isinstance(choice, dict):
        return str(choice["function"]["name"])
    return "tools" if request.body.get("tools") else None


def _role(request: Request) -> str:
    """Which role sent a request, from what it asks for."""
    text = json.dumps(request.body.get("messages", []))
    if "Judge, without a reference answer" in text:
        return "judge"
    if _constrained(request) in ("calculate", "tools") or "Carry out" in text:
        return "executor"
    return "planner"


@contextmanager
def _grammar_failing_endpoint(failing: set[str]) -> Iterator[tuple[str, list[str]]]:
    """Answers the `failing` roles' constrained requests with llama.cpp's grammar error; every
    other request as a small model would. Yields the URL and the log of what was answered."""
    seen: list[str] = []

    def respond(request: Request) -> Reply:
        role, forced = _role(request), _constrained(request)
        seen.append(f"{role}:{forced or 'plain'}")
        if forced and role in failing:
            return error_reply(500, GRAMMAR_500)
        if role == "judge":
            if forced:
                return tool_call_reply("Verdict", {"correct": True, "rationale": "it is 391"})
            return text_reply('{"correct": true, "rationale": "17 * 23 is 391"}')
        if role == "executor":
            if forced == "calculate":
                return tool_call_reply("calculate", {"expression": "17 * 23"})
            return text_reply("17 * 23 = 391")
        step = {"description": "compute 17 * 23", "tool": "calculate"}
        if forced == "Plan":
            return tool_call_reply("Plan", {"steps": [step], "final_answer": None})
        if forced == "FinalAnswer":
            return tool_call_reply("FinalAnswer", {"answer": "391"})
        if "Reply with only a JSON object" in json.dumps(request.body["messages"][-1]):
            return text_reply(json.dumps({"steps": [step], "final_answer": None}))
        return text_reply("391")  # the final answer, asked plainly

    with loopback_endpoint(respond) as url:
        yield url, seen


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "memento.json"
    config.write_text(json.dumps({"context": {"llm_max_retries": 0}}))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("MEMENTO_CONFIG", str(config))
    monkeypatch.setenv("MEMENTO_STORE", str(tmp_path / "bank"))
    return tmp_path


def _run(url: str) -> int:
    task = ["run", "What is 17 times 23?", "--base-url", url, "--model", "m"]
    return main([*task, "--tools", "calculator", "--max-cycles", "1"])


@pytest.mark.parametrize("failing", [*({role} for role in ROLES), set(ROLES)], ids=str)
def test_a_grammar_error_degrades_the_role_and_the_run_ends_with_an_answer_and_a_case(
    cli_env: Path, capsys: pytest.CaptureFixture[str], failing: set[str]
) -> None:
    with _grammar_failing_endpoint(failing) as (url, seen):
        assert _run(url) == 0
    out = capsys.readouterr().out
    assert "answer  391" in out or "answer  17 * 23 = 391" in out
    assert "reward  1.00" in out and " written" in out  # judged, and the case is in the bank
    notes = [line for line in out.splitlines() if line.startswith("note    the ")]
    assert {role for role in ROLES if any(f"the {role} model" in n for n in notes)} == failing
    for role in failing:  # each failed constrained request was asked once more, plainly
        assert f"{role}:plain" in seen


@pytest.mark.parametrize(
    ("status", "message", "said"),
    [
        (500, "upstream overloaded", "failed after 0 retries"),
        (400, "grammar: unsupported schema", "rejected the request (HTTP 400)"),
        (404, "no such model", "was not found"),
    ],
)
def test_other_failures_still_end_the_run_loudly(
    cli_env: Path, capsys: pytest.CaptureFixture[str], status: int, message: str, said: str
) -> None:
    def respond(request: Request) -> Reply:
        return error_reply(status, {"code": status, "message": message, "type": "x"})

    with loopback_endpoint(respond) as url:
        assert _run(url) == 1
    err = capsys.readouterr().err
    assert said in err and "note    the" not in err


def test_a_plain_verdict_is_read_from_its_json_or_its_first_word() -> None:
    assert verdict_from_text('Sure: {"correct": false, "rationale": "no"}').correct is False
    assert verdict_from_text("Yes, the answer is right.").correct is True
    assert verdict_from_text("Incorrect: it is 391.").correct is False
    assert verdict_from_text("The answer looks plausible.") is None


def test_the_embedded_server_tells_the_client_not_to_retry_a_grammar_error() -> None:
    """Through the embedded server's front: the forced call goes upstream as a JSON schema,
    fails with the grammar error, and the client (max_retries=2) asks exactly once."""
    upstream: list[Request] = []

    def respond(request: Request) -> Reply:
        upstream.append(request)
        return error_reply(500, GRAMMAR_500)

    with loopback_endpoint(respond) as url:
        host, port = url.removeprefix("http://").removesuffix("/v1").split(":")
        handler = type("Handler", (ForwardingHandler,), {"upstream": (host, int(port))})
        front = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=front.serve_forever, daemon=True).start()
        try:
            model = ChatOpenAI(
                model="m",
                base_url=f"http://127.0.0.1:{front.server_address[1]}/v1",
                api_key="x",  # type: ignore[arg-type]
                max_retries=2,
            )
            forced = model.bind_tools([_calculate_schema()], tool_choice="calculate")
            with pytest.raises(Exception, match="grammar"):
                forced.invoke([HumanMessage("What is 17 times 23?")])
        finally:
            front.shutdown()
    assert len(upstream) == 1
    assert "response_format" in upstream[0].body  # asked as grammar-constrained JSON
    assert retry_headers(500, b'{"message": "x"}') == {}  # other server errors are retried


def _calculate_schema() -> dict[str, object]:
    return {
        "type": "function",
        "function": {
            "name": "calculate",
            "description": "Evaluate an arithmetic expression.",
            "parameters": {
                "type": "object",
                "properties": {"expression": {"type": "string"}},
                "required": ["expression"],
            },
        },
    }
