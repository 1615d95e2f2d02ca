"""The key Memento sends never lands in a file it writes or a line it prints, even when the
endpoint echoes it back and even when its variable's name does not look secret.

Driven through the CLI (`memento run --thread`, `cases export`) against a loopback endpoint
that repeats the request's bearer token in its replies and errors; every file written under
the test's folder is then searched for the key in its literal and encoded forms.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from memento.cli import main
from tests.endpoints import Reply, Request, error_reply, loopback_endpoint, tool_call_reply

KEY = "sk-live-0123456789abcdefLEAKY"  # in LLM_KEY: a name that does not say "key"


@contextmanager
def _echoing_endpoint(status: int = 200) -> Iterator[str]:
    """Plans a direct answer and self-judges it, saying the caller's token in both; with
    another status, answers every request with an error that quotes the token."""

    def respond(request: Request) -> Reply:
        if status != 200:
            return error_reply(status, {"message": f"bad request for key {request.token}"})
        if "Verdict" in json.dumps(request.body.get("tools", [])):
            return tool_call_reply("Verdict", {"correct": True, "rationale": f"ok {request.token}"})
        return tool_call_reply("Plan", {"steps": [], "final_answer": quote(request.token)})

    with loopback_endpoint(respond) as url:
        yield url


def _forms(key: str) -> list[str]:
    return [key, quote(key, safe=""), base64.b64encode(key.encode()).decode().rstrip("=")]


def _leaks(folder: Path, text: str = "") -> list[str]:
    """Where a form of the key appears: files under `folder` (read as bytes) and `text`."""
    found = [f"output: {form}" for form in _forms(KEY) if form in text]
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {form}" for form in _forms(KEY) if form.encode() in data]
    return found


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "memento.json"
    config.write_text(json.dumps({"context": {"api_key_env": "LLM_KEY", "llm_max_retries": 0}}))
    monkeypatch.setenv("LLM_KEY", KEY)
    monkeypatch.setenv("MEMENTO_CONFIG", str(config))
    monkeypatch.setenv("MEMENTO_STORE", str(tmp_path / "bank"))
    monkeypatch.setenv("MEMENTO_CHECKPOINTS", str(tmp_path / "checkpoints.sqlite"))
    return tmp_path


def test_an_echoed_key_reaches_no_file_and_no_output(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _echoing_endpoint() as url:
        task = ["run", "Say hello.", "--base-url", url, "--model", "m", "--tools", "calculator"]
        assert main([*task, "--thread", "t1"]) == 0
        assert main(["cases", "list"]) == 0
        assert main(["cases", "export", str(cli_env / "bank.jsonl")]) == 0
    out = capsys.readouterr()
    assert (cli_env / "checkpoints.sqlite").stat().st_size > 0
    assert "[redacted LLM_KEY]" in out.out  # the answer and the rationale were printed
    assert _leaks(cli_env, out.out + out.err) == []


def test_a_key_in_the_task_and_its_ground_truth_reaches_no_checkpoint(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The graph's input (the `__start__` write) is stored by the checkpointer's serializer,
    which redacts it like every node's update: the key, and its base64 inside a longer text."""
    encoded = base64.b64encode(f"Authorization: Bearer {KEY}".encode()).decode()
    task = f"Say hello. Key {KEY}, header {encoded}"
    with _echoing_endpoint() as url:
        args = ["--base-url", url, "--model", "m", "--tools", "calculator", "--thread", "t2"]
        assert main(["run", task, "--ground-truth", f"hello {KEY}", *args]) == 0
    out = capsys.readouterr()
    checkpoints = (cli_env / "checkpoints.sqlite").read_bytes()
    assert b"[redacted LLM_KEY]" in checkpoints and encoded.encode() not in checkpoints
    assert _leaks(cli_env, out.out + out.err) == []


def test_an_endpoint_error_quoting_the_key_is_one_redacted_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _echoing_endpoint(status=400) as url:
        code = main(
            ["run", "Say hello.", "--base-url", url, "--model", "m", "--tools", "calculator"]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err and "rejected the request (HTTP 400)" in err
    assert "[redacted LLM_KEY]" in err and _leaks(cli_env, err) == []
