"""How long the `memento` commands take to start, beside `python -c pass` on the same machine.

    python -m benchmarks.cli_startup [--repeats 5]

Each command runs `--repeats` times in a fresh process; the median and best wall times are
printed with their ratio to the median of `python -c pass` (so figures taken under load can be
compared), and the load average. `memento run` is measured from process start to its first
request to a model endpoint: a stand-in OpenAI-compatible server in this process answers at
once (a plan with the final answer), so the run also writes the case that `cases list` then
lists. The embedder's load (a fresh process that imports it and embeds one query) is measured
on its own, since the run target is "2 s plus the embedder load". Targets (issue 18, quiet
machine): --help <= 0.5 s, cases list <= 1.5 s, run to the first request <= 2 s + embedder.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MEMENTO = [sys.executable, "-m", "memento"]
EMBEDDER_LOAD = (
    "import time; t = time.perf_counter(); from memory.embeddings.minilm import MiniLMEmbedder; "
    "MiniLMEmbedder().embed_query('What is 2 + 2?'); print(time.perf_counter() - t)"
)


class StandInModel(BaseHTTPRequestHandler):
    """Answers every chat completion at once: a forced call gets a final-answer plan."""

    first_request_at: float | None = None

    def do_POST(self) -> None:
        if StandInModel.first_request_at is None:
            StandInModel.first_request_at = time.perf_counter()
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        choice = body.get("tool_choice")
        message: dict[str, Any] = {"role": "assistant", "content": "4"}
        if isinstance(choice, dict):
            name = choice["function"]["name"]
            args = {"steps": [], "final_answer": "4"} if name == "Plan" else {"answer": "4"}
            call = {"name": name, "arguments": json.dumps(args)}
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": call}
            ]}  # fmt: skip
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "stand-in",
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def wall_times(argv: list[str], repeats: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return times


def run_to_first_request(store: str, repeats: int, env: dict[str, str]) -> list[float]:
    """Seconds from starting `memento run` to the stand-in model's first request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInModel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    argv = [*MEMENTO, "run", "What is 2 + 2?", "--ground-truth", "4", "--store", store]
    argv += ["--base-url", base_url, "--model", "stand-in", "--tools", "calculator"]
    times = []
    try:
        for _ in range(repeats):
            StandInModel.first_request_at = None
            started = time.perf_counter()
            subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            assert StandInModel.first_request_at is not None, "the run made no model request"
            times.append(StandInModel.first_request_at - started)
    finally:
        server.shutdown()
    return times


def row(name: str, times: list[float], floor: float, target: str) -> str:
    median = statistics.median(times)
    return f"| {name} | {median:.3f} | {min(times):.3f} | {median / floor:.1f}x | {target} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "OPENAI_API_KEY": "stand-in", "PYTHONPATH": str(ROOT)}
    env.pop("MEMENTO_CONFIG", None)
    print("command:", shlex.join([Path(sys.executable).name, "-m", "benchmarks.cli_startup",
                                  *sys.argv[1:]]))  # fmt: skip
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "bank")
        config = Path(tmp) / "tools.json"
        config.write_text(json.dumps({"tools": {"enabled": ["calculator", "python"]}}))
        floor_times = wall_times([sys.executable, "-c", "pass"], args.repeats, env)
        floor = statistics.median(floor_times)
        run = run_to_first_request(store, args.repeats, env)
        embedder = [
            float(subprocess.run([sys.executable, "-c", EMBEDDER_LOAD], env=env, cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout)
            for _ in range(args.repeats)
        ]  # fmt: skip
        rows = [
            row("python -c pass", floor_times, floor, ""),
            row("memento --help", wall_times([*MEMENTO, "--help"], args.repeats, env), floor,
                "<= 0.5 s"),
            row("memento cases list", wall_times([*MEMENTO, "cases", "list", "--store", store],
                                                 args.repeats, env), floor, "<= 1.5 s"),
            row("memento tools list --names (starts 2 MCP servers at once)",
                wall_times([*MEMENTO, "tools", "list", "--names", "--config", str(config)],
                           args.repeats, env), floor, ""),
            row("memento run: start to first model request", run, floor,
                "<= 2 s + embedder load"),
            row("  of which embedder load (import + first query, own process)", embedder,
                floor, ""),
        ]  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}; {args.repeats} runs each, seconds")
    print("| command | median | best | / python -c pass | target |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
