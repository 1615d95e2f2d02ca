"""The `memento` command line: one module per subcommand, each with `register(subparsers)`.

Start-up matters here: a subcommand module imports at its top only what its options need, and
the work (LangGraph, LangChain, OpenAI, Qdrant, MCP) is imported inside the command that uses
it, so `memento --help` and `memento cases list` do not wait for what they never touch
(`benchmarks/cli_startup.py` measures it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from memento.cli import cases, run
from memento.cli import eval as eval_command
from memento.cli import local_llm as local_llm_command
from memento.cli import mcp as mcp_command
from memento.cli import tools as tools_command
from memento.cli.disk_full import disk_full
from memento.cli.options import add_global_options, unused_global_options

SUBCOMMANDS = (run, eval_command, cases, tools_command, local_llm_command, mcp_command)

# Failures a user can fix from the message alone: shown without a traceback. By module, since
# an error class can only have been raised if its module was imported.
USER_ERRORS = {
    "graphs.settings": ("ConfigError",),
    "memory.errors": ("CaseBankError",),
    "memento.local_llm": ("LocalLLMError",),
    "nodes.embedding_calls": ("EmbeddingEndpointError",),
    "nodes.models": ("ModelCallError", "ModelEndpointError"),
    "nodes.run_namespace": ("ThreadNamespaceError",),
    "nodes.schemas": ("TaskInputError",),
    "tools.errors": ("ToolConfigError", "ToolServerError"),
}


def user_errors() -> tuple[type[BaseException], ...]:
    """The user-fixable error classes of the modules imported so far."""
    return tuple(
        getattr(sys.modules[module], name)
        for module, names in USER_ERRORS.items()
        if module in sys.modules
        for name in names
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memento",
        description="An LLM agent that learns from its own cases, without fine-tuning.",
    )
    add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


CLEANUP_GRACE_S = 10.0
_interrupted = False


def _interrupt(signum: int, frame: object) -> None:
    """The first SIGTERM or Ctrl-C unwinds (servers stopped, files closed); a second one, or
    a cleanup still waiting on a hung call after CLEANUP_GRACE_S, ends the process at once."""
    global _interrupted
    if _interrupted:
        _exit_now()
    _interrupted = True
    watchdog = threading.Timer(CLEANUP_GRACE_S, _exit_now)
    watchdog.daemon = True
    watchdog.start()
    raise KeyboardInterrupt


def _exit_now() -> None:
    print("memento: interrupted", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    unused = unused_global_options(args)
    if unused:  # given before a subcommand that would ignore it: say so rather than ignore it
        command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
        parser.error(f"{', '.join(unused)} does not apply to `memento {command}`")
    # SIGTERM (e.g. `kill`, a CI timeout) takes the Ctrl-C path, so every `async with` unwinds:
    # the local model server is stopped and MCP servers are closed instead of left behind.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        main_thread = threading.main_thread()
        if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
            _exit_now()  # a worker thread still waits on a call: do not wait for it at exit
        print("memento: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from memory.bank.redaction import redact_text, secrets_in

        if isinstance(exc, user_errors()):
            print(redact_text(f"memento: error: {exc}", secrets_in()), file=sys.stderr)
        elif (full := disk_full(exc)) is not None:
            print(redact_text(f"memento: error: {full}", secrets_in()), file=sys.stderr)
        else:  # a bug, not the user's: its traceback, with secrets redacted
            trace = "".join(traceback.format_exception(exc))
            print(redact_text(trace, secrets_in()), file=sys.stderr, end="")
        return 1


if __name__ == "__main__":
    sys.exit(main())
