"""Command-line options shared by subcommands, and turning them into settings.

The global options (--config, --store, --namespace) are accepted before the subcommand
(`memento --config f tools list`) and after it (`memento tools list --config f`): the top-level
parser holds each with the default None, and a subcommand that takes it declares it again with
`default=argparse.SUPPRESS`, so a value given after the subcommand wins and one not given
there leaves the value given before (or None, the settings' default) in place.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from collections.abc import Sequence
from typing import Any, Literal

from graphs.settings import CONFIG_ENV, MementoSettings, load_settings
from memento.local_llm import DEFAULT_MODEL_NAME
from nodes.context import MementoContext


def field_help(name: str) -> str:
    """The help of an option that sets the context field `name`: the field's own description,
    the one Studio's configuration panel and the configuration reference show, with its default
    where the default is a fixed value."""
    spec = next(f for f in dataclasses.fields(MementoContext) if f.name == name)
    text = spec.metadata["description"]
    if spec.default is not dataclasses.MISSING and f"default {spec.default}" not in text:
        text = f"{text} (default: {spec.default})"
    return text.replace("%", "%%")


def add_context_option(parser: argparse.ArgumentParser, name: str) -> None:
    """`--name` for the context field `name`: its type, its choices and its help come from the
    field, so `--help`, Studio and the docs say the same."""
    hint = typing.get_type_hints(MementoContext)[name]
    options: dict[str, Any] = {"help": field_help(name)}
    if typing.get_origin(hint) is Literal:
        options["choices"] = typing.get_args(hint)
    elif hint in (int, float):
        options["type"] = hint
    parser.add_argument(f"--{name.replace('_', '-')}", **options)


GLOBAL_OPTIONS: dict[str, str] = {
    "config": f"JSON config file (default: ${CONFIG_ENV}, else none)",
    "store": field_help("store"),
    "namespace": field_help("namespace"),
}
"""Each global option's name and its help, in the order `--help` shows them."""

ACCEPTED = "global_options"
"""The namespace attribute listing the global options the chosen subcommand reads."""


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The global options on the top-level parser, before the subcommand."""
    group = parser.add_argument_group("global options (also accepted after the subcommand)")
    for name, help_text in GLOBAL_OPTIONS.items():
        group.add_argument(f"--{name}", help=help_text)
    parser.set_defaults(**{ACCEPTED: ()})


def add_settings_options(
    parser: argparse.ArgumentParser,
    names: Sequence[str] = tuple(GLOBAL_OPTIONS),
    **help_texts: str,
) -> None:
    """The global options `names` again on a subcommand, which reads them (see the module doc).

    `help_texts` overrides an option's help where the subcommand gives it another default.
    """
    for name in names:
        parser.add_argument(
            f"--{name}", default=argparse.SUPPRESS, help=help_texts.get(name, GLOBAL_OPTIONS[name])
        )
    parser.set_defaults(**{ACCEPTED: tuple(names)})


def unused_global_options(args: argparse.Namespace) -> list[str]:
    """The global options given (before the subcommand) that the chosen subcommand ignores."""
    accepted = getattr(args, ACCEPTED, ())
    return [
        f"--{name}"
        for name in GLOBAL_OPTIONS
        if getattr(args, name, None) is not None and name not in accepted
    ]


def server_names(text: str) -> list[str]:
    """`a,b` as a list of MCP server names; an empty list is refused."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated MCP server names")
    return names


def add_tools_option(parser: argparse.ArgumentParser) -> None:
    """--tools, with one meaning wherever it is taken (`run`, `eval`, `tools list`)."""
    parser.add_argument(
        "--tools",
        type=server_names,
        metavar="SERVER,...",
        help="comma-separated MCP servers to start, e.g. calculator,python "
        "(default: the config's tools.enabled, else every configured server)",
    )


LOCAL_MODEL = f"the embedded local model ({DEFAULT_MODEL_NAME} on llama.cpp, loopback only)"
"""What runs when no endpoint and no API key are configured (`memento.cli.endpoint`)."""


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--model and --base-url, with one meaning wherever they are taken (`run`, `eval`).

    Their defaults are said in full: with neither an endpoint nor an API key, what runs is the
    local model, not the context's gpt-4.1."""
    parser.add_argument(
        "--model",
        help="planner, executor and judge model (default: the config file's or $MEMENTO_MODEL, "
        f"else gpt-4.1 when an endpoint or $OPENAI_API_KEY is set; with neither, {LOCAL_MODEL})",
    )
    parser.add_argument(
        "--base-url",
        help="OpenAI-compatible endpoint (default: the config file's or $MEMENTO_BASE_URL, else "
        f"OpenAI when $OPENAI_API_KEY is set; with neither, {LOCAL_MODEL}, started for the "
        "command)",
    )


def settings_from_args(args: argparse.Namespace, **extra: object) -> MementoSettings:
    """Settings from the config file with the command-line values laid over it."""
    model = getattr(args, "model", None)
    settings = load_settings(
        getattr(args, "config", None),
        store=getattr(args, "store", None),
        namespace=getattr(args, "namespace", None),
        base_url=getattr(args, "base_url", None),
        planner_model=model,
        executor_model=model,
        judge_model=model,
        **extra,
    )
    tools = getattr(args, "tools", None)
    if tools is not None:
        settings.enabled_servers = list(tools)
    return settings
