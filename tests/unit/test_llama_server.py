"""The llama server wrapper copies LangChain's token limit to the field llama.cpp reads."""

from __future__ import annotations

import json
from typing import Any

from memento.llama_server import MaxTokensAlias, with_max_tokens


def test_max_completion_tokens_becomes_max_tokens() -> None:
    assert with_max_tokens({"max_completion_tokens": 64}, 1024)["max_tokens"] == 64


def test_an_explicit_max_tokens_wins() -> None:
    payload = {"max_tokens": 10, "max_completion_tokens": 64}
    assert with_max_tokens(payload, 1024)["max_tokens"] == 10


def test_no_limit_gets_the_default_or_stays_unlimited() -> None:
    assert with_max_tokens({"messages": []}, 1024)["max_tokens"] == 1024
    assert "max_tokens" not in with_max_tokens({"messages": []}, None)
    assert with_max_tokens({"max_tokens": None}, 7)["max_tokens"] == 7


async def call(app: MaxTokensAlias, path: str, body: bytes, chunks: int = 1) -> dict[str, Any]:
    """Run one request through the middleware; returns what the wrapped app saw."""
    seen: dict[str, Any] = {}
    size = max(1, len(body) // chunks + 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def inner(scope: dict[str, Any], receive_: Any, send: Any) -> None:
        seen["headers"] = dict(scope["headers"])
        message = await receive_()
        seen["body"] = message["body"]

    async def send(message: dict[str, Any]) -> None:
        pass

    app.app = inner
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"content-length", str(len(body)).encode())],
    }
    await app(scope, receive, send)
    return seen


async def test_middleware_rewrites_chat_completion_bodies_sent_in_chunks() -> None:
    app = MaxTokensAlias(None, 1024)  # type: ignore[arg-type]
    body = json.dumps({"messages": [], "max_completion_tokens": 32}).encode()
    seen = await call(app, "/v1/chat/completions", body, chunks=3)
    assert json.loads(seen["body"])["max_tokens"] == 32
    assert seen["headers"][b"content-length"] == str(len(seen["body"])).encode()


async def test_middleware_leaves_other_paths_and_bad_json_alone() -> None:
    app = MaxTokensAlias(None, 1024)  # type: ignore[arg-type]
    assert (await call(app, "/v1/embeddings", b'{"input": "x"}'))["body"] == b'{"input": "x"}'
    assert (await call(app, "/v1/chat/completions", b"not json"))["body"] == b"not json"
