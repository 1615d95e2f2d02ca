"""Write the docs site's reference pages from their one source each.

- `docs/reference/configuration.md` from the context schema (`from graphs import
  MementoContext`): every field's type, its default as the code gives it (never this machine's
  environment) and the description Studio shows.
- `docs/reference/cli.md` from the `memento` parsers (`memento.cli.build_parser`), walked
  subcommand by subcommand: usage, description, arguments with their help and defaults.

Run `python docs/gen_reference.py` from the repository root after changing a context field or a
command-line option; `tests/unit/test_docs.py` fails while the committed pages differ from what
`pages()` returns. Imports of the project happen inside the functions, so that loading this file
(as the test does) does no work.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import re
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python docs/gen_reference.py"
USAGE_WIDTH = 100
"""Usage lines are wrapped at this width whatever the terminal, so the pages do not change."""

CODE_SPAN = re.compile(r"(`[^`]*`)")
MARKDOWN_SPECIAL = re.compile(r"([\\*_|])")


def text(value: str) -> str:
    """`value` as Markdown text that renders as written (code spans in it are kept as code)."""
    parts = CODE_SPAN.split(" ".join(value.split()))
    return "".join(
        part
        if part.startswith("`")
        else MARKDOWN_SPECIAL.sub(r"\\\1", part).replace("<", "&lt;").replace(">", "&gt;")
        for part in parts
    )


def code(value: object) -> str:
    return f"`{value}`"


def header(source: str) -> list[str]:
    return [
        f"<!-- Generated from {source} by `{REGENERATE}`: edit the source, not this file. -->",
        "",
    ]


# -- configuration ---------------------------------------------------------------------------


def type_text(hint: Any) -> str:
    """A field's type in words a config-file writer reads: `int`, `str` or `None`, one of ..."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(code(choice) for choice in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_text(option) for option in typing.get_args(hint))
    if hint is type(None):
        return code(None)
    return code(getattr(hint, "__name__", hint))


def default_text(spec: dataclasses.Field[Any]) -> str:
    """The code's default; a default made when the context is made is described, not run."""
    if spec.default is not dataclasses.MISSING:
        return code(repr(spec.default))
    return "made when not given: see the description"


def configuration_page() -> str:
    from graphs import MementoContext

    hints = typing.get_type_hints(MementoContext)
    lines = [
        *header("`MementoContext` (`from graphs import MementoContext`)"),
        "# Configuration reference",
        "",
        "Every field of `MementoContext`, the graph's context schema: what a config file's",
        '`"context"` section, `load_settings(**overrides)`, a run\'s context in Studio or the API,',
        "and `MementoContext(...)` in code may set. The descriptions are the ones Studio shows in",
        "its configuration panel. Where a default is made when the context is made, it comes from",
        "the environment variables its description names, else the value it gives. How settings",
        "are layered, and the config file's other sections: [Configuration](../configuration.md).",
        "",
        "| field | type | default | description |",
        "|---|---|---|---|",
    ]
    for spec in dataclasses.fields(MementoContext):
        description = text(spec.metadata.get("description", ""))
        row = [code(spec.name), type_text(hints[spec.name]), default_text(spec), description]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


# -- command line ----------------------------------------------------------------------------


def commands(
    parser: argparse.ArgumentParser, summary: str | None = None
) -> Iterator[tuple[argparse.ArgumentParser, str | None]]:
    """`parser` and every subcommand's parser below it, depth first, each with its one-line help.

    argparse has no public way to list subparsers: `_SubParsersAction` and its
    `_choices_actions` (where `add_parser(help=...)` is kept) are the only record of them.
    """
    yield parser, summary
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                yield from commands(subparser, helps.get(name))


def usage(parser: argparse.ArgumentParser) -> str:
    parser.formatter_class = functools.partial(parser.formatter_class, width=USAGE_WIDTH)
    return parser.format_usage().strip()


def invocation(action: argparse.Action) -> str:
    """How an argument is written: `--limit LIMIT`, `--mode {train,eval}`, `ID [ID ...]`."""
    if action.metavar is not None:
        metavar = str(action.metavar)
    elif action.choices is not None:
        metavar = "{" + ",".join(map(str, action.choices)) + "}"
    else:
        metavar = action.dest if not action.option_strings else action.dest.upper()
    if action.nargs == "+":
        metavar = f"{metavar} [{metavar} ...]"
    elif action.nargs in ("*", "?"):
        metavar = f"[{metavar}]"
    if not action.option_strings:
        return metavar
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    return ", ".join(f"{option} {metavar}" for option in action.option_strings)


def help_text(action: argparse.Action, prog: str) -> str:
    """The help as `--help` prints it (`%(default)s` and the like filled in)."""
    if not action.help:
        return ""
    params = {**vars(action), "prog": prog}
    return str(action.help) % params if "%" in action.help else action.help


def default_cell(action: argparse.Action) -> str:
    if action.required and action.option_strings:
        return "required"
    if action.nargs == 0 or action.default in (None, argparse.SUPPRESS):
        return ""
    if action.default == "":
        return "empty"
    return code(action.default)


def arguments_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = [
        "| "
        + " | ".join([code(invocation(a)), default_cell(a), text(help_text(a, parser.prog))])
        + " |"
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
    ]
    if not rows:
        return []
    return ["| argument | default | help |", "|---|---|---|", *rows, ""]


def subcommands_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = [
        f"| [{child.prog}](#{anchor(child.prog)}) | {text(summary or '')} |"
        for child, summary in commands(parser)
        if child is not parser and child.prog.count(" ") == parser.prog.count(" ") + 1
    ]
    if not rows:
        return []
    return ["| command | what it does |", "|---|---|", *rows, ""]


def anchor(prog: str) -> str:
    """The heading id mkdocs gives `## memento cases list`: memento-cases-list."""
    return prog.replace(" ", "-")


def cli_page() -> str:
    from memento.cli import build_parser

    lines = [
        *header("the `memento` parsers (`memento.cli.build_parser()`)"),
        "# Command-line reference",
        "",
        "Every `memento` command with its options, as `--help` gives them. The global options",
        "`--config`, `--store` and `--namespace` go before or after the subcommand; what the",
        "commands are for, with examples: [Command line](../cli.md).",
        "",
    ]
    for parser, summary in commands(build_parser()):
        lines += [f"## {parser.prog}", ""]
        if summary:
            lines += [text(summary[0].upper() + summary[1:]) + ".", ""]
        if parser.description:
            lines += [text(parser.description), ""]
        lines += ["```text", usage(parser), "```", ""]
        lines += arguments_table(parser) + subcommands_table(parser)
    return "\n".join(lines).rstrip("\n") + "\n"


# -- pages -----------------------------------------------------------------------------------


def pages() -> dict[Path, str]:
    """Each generated page's path under the repository root, and its text."""
    return {
        Path("docs/reference/configuration.md"): configuration_page(),
        Path("docs/reference/cli.md"): cli_page(),
    }


def main() -> int:
    if str(ROOT) not in sys.path:  # run as a script: import this checkout's code
        sys.path.insert(0, str(ROOT))
    for path, page in pages().items():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text() != page:
            target.write_text(page)
            print(f"wrote {path}")
        else:
            print(f"{path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
