"""llama-cpp-python's OpenAI-compatible server, with two fixes for LangChain clients.

Run as `python -m memento.llama_server` with the same options as `python -m llama_cpp.server`,
plus `--default_max_tokens N`.

1. langchain-openai sends a token limit as `max_completion_tokens`, which llama-cpp-python's
   server ignores (it reads `max_tokens` only), so a limit set on `ChatOpenAI` never applied and a
   small model could generate until the context was full. Here `max_completion_tokens` is copied
   to `max_tokens`, and a request with neither gets `--default_max_tokens`. The server does not
   stop a non-streaming generation when the client gives up, so the cap is what bounds it.
2. uvicorn's graceful shutdown waits for the running request; here it waits at most 2 s, so a
   SIGTERM stops the server promptly even in the middle of a generation.

Nothing from llama_cpp is imported until `main()` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

DEFAULT_MAX_TOKENS = 1024
GRACEFUL_SHUTDOWN_S = 2

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def with_max_tokens(payload: dict[str, Any], default_max_tokens: int | None) -> dict[str, Any]:
    """The request with `max_tokens` set from `max_completion_tokens`, else from the default."""
    if payload.get("max_tokens") is not None:
        return payload
    limit = payload.get("max_completion_tokens")
    if limit is None:
        limit = default_max_tokens
    return payload if limit is None else {**payload, "max_tokens": limit}


class MaxTokensAlias:
    """ASGI middleware: applies `with_max_tokens` to the JSON body of POSTs to /completions."""

    def __init__(self, app: ASGIApp, default_max_tokens: int | None) -> None:
        self.app = app
        self.default_max_tokens = default_max_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/completions")
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = self._rewritten(b"".join(chunks))
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        request = {"type": "http.request", "body": body, "more_body": False}
        await self.app({**scope, "headers": headers}, _replay(request, receive), send)

    def _rewritten(self, body: bytes) -> bytes:
        try:
            payload = json.loads(body)
        except ValueError:
            return body  # the server answers malformed JSON itself
        if not isinstance(payload, dict):
            return body
        return json.dumps(with_max_tokens(payload, self.default_max_tokens)).encode()


def _replay(first: Message, receive: Receive) -> Receive:
    """A `receive` that gives `first` once, then defers to the real one."""
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def main(argv: list[str] | None = None) -> None:
    """Parse llama_cpp.server's options plus ours, and serve until SIGTERM."""
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.cli import add_args_from_model, parse_model_from_args
    from llama_cpp.server.settings import ModelSettings, ServerSettings, Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_args_from_model(parser, Settings)
    parser.add_argument(
        "--default_max_tokens",
        type=int,
        default=DEFAULT_MAX_TOKENS,
        help="max_tokens for a request that sets no limit (0: none, up to the context size)",
    )
    args = parser.parse_args(argv)
    server_settings = parse_model_from_args(ServerSettings, args)
    app = create_app(
        server_settings=server_settings,
        model_settings=[parse_model_from_args(ModelSettings, args)],
    )
    wrapped = MaxTokensAlias(app, args.default_max_tokens or None)
    print(f"memento.llama_server: default max_tokens {args.default_max_tokens}", file=sys.stderr)
    uvicorn.run(
        wrapped,
        host=os.getenv("HOST", server_settings.host),
        port=int(os.getenv("PORT", str(server_settings.port))),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


if __name__ == "__main__":
    main()
