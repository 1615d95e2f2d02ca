"""llama.cpp's own OpenAI-compatible server (prebuilt, from `xllamacpp`), fronted for LangChain.

Run as `python -m memento.llama_server --model GGUF --host H --port P [options]`.

xllamacpp ships llama.cpp's C++ server as a prebuilt wheel: it installs in seconds (no compiler)
and is ready in about a second. It listens on a private loopback port; this process serves the
public one and passes every request through, except that a chat completion forcing one function
is rewritten (see `memento.forced_tools`), since llama.cpp would serve it as "auto". A request
that sets no token limit gets `--default_max_tokens`, so a small model cannot generate until the
context is full. Nothing from xllamacpp is imported until `main()` runs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from memento.forced_tools import as_event_stream, as_schema_request, as_tool_call_response
from memento.forced_tools import forced_tool as forced_function

DEFAULT_MAX_TOKENS = 1024
UPSTREAM_TIMEOUT_S = 600.0
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class ForwardingHandler(BaseHTTPRequestHandler):
    """Passes requests to the llama.cpp server at `upstream`, rewriting forced tool calls."""

    upstream: tuple[str, int] = ("127.0.0.1", 0)
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._forward(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        payload = _json_object(body) if self.path.endswith("/chat/completions") else None
        function = forced_function(payload) if payload is not None else None
        if payload is None or function is None:
            self._forward(body)
            return
        request = as_schema_request(payload, function)
        status, reply = self._ask(json.dumps(request).encode())
        if status != 200 or not isinstance(reply, dict):
            body = json.dumps(reply).encode()
            self._send(status, body, "application/json", retry_headers(status, body))
            return
        reply = as_tool_call_response(reply, function["name"])
        if payload.get("stream"):
            self._send(200, as_event_stream(reply), "text/event-stream")
        else:
            self._send(200, json.dumps(reply).encode(), "application/json")

    def _ask(self, body: bytes) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT_S)
        try:
            connection.request("POST", self.path, body, {"content-type": "application/json"})
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, {"error": {"message": raw.decode(errors="replace")}}

    def _forward(self, body: bytes | None) -> None:
        """Relay the request as is, and its response chunk by chunk (streams stay streams)."""
        connection = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT_S)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(self.command, self.path, body, headers)
            response = connection.getresponse()
            if response.status >= 500:  # an error is short: read whole, to say if a retry helps
                reply = response.read()
                kind = response.getheader("content-type") or "application/json"
                self._send(response.status, reply, kind, retry_headers(response.status, reply))
                return
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            while chunk := response.read1(65536):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        finally:
            connection.close()

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: llama.cpp already logs every request."""


def retry_headers(status: int, body: bytes) -> dict[str, str]:
    """`x-should-retry: false` on a server error that a retry would only repeat: llama.cpp's
    constrained decoding reaching a dead end ("Unexpected empty grammar stack ...") fails the
    same way for the same request. OpenAI's client honours the header, so the caller learns at
    once, and asks without the constraint, instead of after its retries' backoff."""
    if status >= 500 and b"grammar" in body.lower():
        return {"x-should-retry": "false"}
    return {}


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None  # the server answers malformed JSON itself
    return value if isinstance(value, dict) else None


def exit_when_orphaned(parent_pid: int, *, poll_s: float = 1.0) -> threading.Thread:
    """Stop this process when the process that started it is gone.

    A parent killed outright (SIGKILL, a crash) cannot stop its server; without this watch the
    server would run on, holding a core and a port, with nobody to use it.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        os._exit(0)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", required=True, help="a GGUF file")
    parser.add_argument("--model_alias", default="local-model", help="the id /v1/models lists")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n_ctx", type=int, default=4096)
    parser.add_argument("--n_threads", type=int, default=1)
    parser.add_argument("--n_parallel", type=int, default=1, help="requests decoded at once")
    parser.add_argument(
        "--default_max_tokens",
        type=int,
        default=DEFAULT_MAX_TOKENS,
        help="max_tokens for a request that sets no limit (0: none, up to the context size)",
    )
    parser.add_argument(
        "--repeat_penalty",
        type=float,
        default=1.1,
        help="default for requests that set none (llama-cpp-python's server default; llama.cpp's "
        "own is 1.0, with which SmolLM2 repeats plan steps until the token limit)",
    )
    parser.add_argument(
        "--chat_template",
        choices=["tools", "model"],
        default="tools",
        help="tools: memento's ChatML template that shows tools and calls; model: the GGUF's own",
    )
    return parser.parse_args(argv)


def start_llama_cpp(args: argparse.Namespace) -> tuple[Any, tuple[str, int]]:
    """llama.cpp's server on a private loopback port; returns it (keep it alive) and its address."""
    import xllamacpp

    from memento.chat_template import TOOLS_CHAT_TEMPLATE

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.model_alias}
    params.n_ctx = args.n_ctx
    params.n_parallel = args.n_parallel
    params.n_predict = args.default_max_tokens or -1
    params.sampling.penalty_repeat = args.repeat_penalty
    params.cpuparams.n_threads = args.n_threads
    params.cpuparams_batch.n_threads = args.n_threads
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    if args.chat_template == "tools":
        params.chat_template = TOOLS_CHAT_TEMPLATE
    server = xllamacpp.Server(params)
    address = urlsplit(server.listening_address)
    return server, (address.hostname or "127.0.0.1", int(address.port or 0))


def main(argv: list[str] | None = None) -> None:
    """Start llama.cpp, then serve the public port until SIGTERM or the parent dies."""
    exit_when_orphaned(os.getppid())
    args = parse_args(argv)
    _server, upstream = start_llama_cpp(args)
    handler = type("Handler", (ForwardingHandler,), {"upstream": upstream})
    front = ThreadingHTTPServer((args.host, args.port), handler)
    front.daemon_threads = True
    print(f"memento.llama_server: serving http://{args.host}:{args.port}/v1", flush=True)
    front.serve_forever()


if __name__ == "__main__":
    main()
