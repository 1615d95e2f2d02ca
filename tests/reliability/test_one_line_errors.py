"""Mistakes and failures a user can fix end in one line saying what to do, never a traceback
(issue 26, item 8): an embeddings endpoint's 400, 500 or timeout, a `file://` endpoint, a
namespace template `memento run` cannot fill, a malformed store filter, and a case's escape
sequences in `cases show`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from memento.cli import main
from memory import Case, CaseBank
from memory.adapters.langgraph_store import MementoStore
from memory.adapters.store_values import FilterError
from nodes.context_checks import ContextError
from tests.conftest import make_context
from tests.endpoints import Reply, Request, error_reply, loopback_endpoint, tool_call_reply
from tests.fakes import HashingEmbedder

KEY = "sk-embed-0123456789abcdefLEAK"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`memento run` against a bank and checkpoints under tmp_path, with no MCP servers;
    call it with the context fields to set."""

    def configure(**context: object) -> Path:
        config = tmp_path / "memento.json"
        context = {"api_key_env": "LLM_KEY", "llm_max_retries": 0, **context}
        config.write_text(json.dumps({"context": context, "tools": {"enabled": []}}))
        monkeypatch.setenv("MEMENTO_CONFIG", str(config))
        return tmp_path

    monkeypatch.setenv("LLM_KEY", KEY)
    monkeypatch.setenv("MEMENTO_STORE", str(tmp_path / "bank"))
    monkeypatch.setenv("MEMENTO_CHECKPOINTS", str(tmp_path / "checkpoints.sqlite"))
    return configure


def _embedding() -> Reply:
    data = [{"object": "embedding", "index": 0, "embedding": [0.5, 0.5, 0.5, 0.5]}]
    usage = {"prompt_tokens": 1, "total_tokens": 1}
    body = {"object": "list", "data": data, "model": "e", "usage": usage}
    return Reply(body=json.dumps(body).encode())


@pytest.mark.parametrize(
    ("fails_at", "failure", "said"),
    [
        ("probe", 400, "rejected the request (HTTP 400): BadRequestError: Error code: 400"),
        ("retrieve", 500, "failed after 0 retries with backoff: InternalServerError"),
        ("retrieve", "timeout", "did not answer within 0.5 s, after 0 retries"),
    ],
)
def test_an_embeddings_endpoint_failure_is_one_redacted_line(
    cli_env, capsys: pytest.CaptureFixture[str], fails_at: str, failure: int | str, said: str
) -> None:
    """When the resources open (the dimension probe) or in retrieve, with the key the
    endpoint quotes redacted."""
    cli_env(embedding_model="e", llm_timeout_s=0.5)
    embeddings: list[Request] = []

    def respond(request: Request) -> Reply:
        if not request.path.endswith("/embeddings"):
            return tool_call_reply("Plan", {"steps": [], "final_answer": "hello"})
        embeddings.append(request)
        if fails_at == "retrieve" and len(embeddings) == 1:
            return _embedding()
        if failure == "timeout":
            time.sleep(1.5)
            return _embedding()
        return error_reply(int(failure), {"message": f"no embeddings for key {request.token}"})

    with loopback_endpoint(respond) as url:
        code = main(["run", "Say hello.", "--base-url", url, "--model", "m"])
    err = capsys.readouterr().err
    assert code == 1 and len(embeddings) == (1 if fails_at == "probe" else 2)
    assert err.splitlines() == [err.strip()], err
    assert err.startswith(f"memento: error: the embeddings model 'e' at {url} {said}"), err
    assert KEY not in err


def test_a_file_url_as_endpoint_is_refused_in_one_line(
    cli_env, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env()
    assert main(["run", "Say hello.", "--base-url", "file:///etc/passwd", "--model", "m"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "context field 'base_url' must be an http:// or https:// URL" in line
    assert "'file:///etc/passwd'" in line
    with pytest.raises(ContextError, match="must be an http"):
        make_context(base_url="localhost:8000/v1")


def test_a_namespace_template_run_cannot_fill_is_one_line_before_anything_starts(
    cli_env, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = cli_env(namespace_template="memento:{user_id}")
    assert main(["run", "Say hello.", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "memento: error: namespace_template 'memento:{user_id}' needs 'user_id', which memento "
        'run takes from the context only: set "user_id" in the config file\'s "context"'
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["memento.json"]  # no bank, no thread


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ({"$and": 5}, "filter: $and must be a list of filters, got 5"),
        ({"$and": {"reward": 1.0}}, "filter: $and must be a list of filters"),
        ({"$and": [{"reward": 1.0}, 5]}, "filter: $and[1] must be an object"),
        ({"$and": [{"reward": {"$near": 1}}]}, "unknown operator '$near' for 'reward'"),
        ({"meta": {"depth": {"$gt": 1, "x": 2}}}, "filter: meta: unknown operator 'x'"),
    ],
)
def test_a_malformed_store_filter_is_one_line_naming_the_fault(
    bank: CaseBank, embedder: HashingEmbedder, bad: dict, said: str
) -> None:
    """Refused before anything is read, so an empty namespace refuses it too."""
    store = MementoStore(bank, embedder)
    with pytest.raises(FilterError) as refused:
        store.search(("memento", "alice"), filter=bad)
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_cases_show_prints_an_answers_escape_sequences_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "bank")
    answer = "done \x1b[2J\x1b]0;owned\x07 and \x9b31m red"
    with CaseBank(store, dim=4) as bank:
        case = Case(
            id="", namespace="default", question="Clear the screen?", answer=answer,
            reward=1.0, created_at=0, updated_at=0,
        )  # fmt: skip
        case_id = bank.add(case, [1.0, 0.0, 0.0, 0.0]).id
    assert main(["cases", "show", "--store", store, case_id]) == 0
    out = capsys.readouterr().out
    assert not {"\x1b", "\x07", "\x9b"} & set(out), out
    attempts = out.split("attempts of this question")[1]
    assert "\\x1b[2J\\x1b]0;owned\\x07" in attempts
