"""The `memento` command line: one module per subcommand, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from graphs.settings import ConfigError
from memento.cli import cases, run
from memento.cli import eval as eval_command
from memento.cli import tools as tools_command
from memento.local_llm import LocalLLMError
from memory import CaseBankError
from nodes import ModelEndpointError
from tools import ToolConfigError, ToolServerError

SUBCOMMANDS = (run, eval_command, cases, tools_command)

# Failures a user can fix from the message alone: shown without a traceback.
USER_ERRORS = (
    ConfigError,
    CaseBankError,
    LocalLLMError,
    ModelEndpointError,
    ToolConfigError,
    ToolServerError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memento",
        description="An LLM agent that learns from its own cases, without fine-tuning.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        print(f"memento: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("memento: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
