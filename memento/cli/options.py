"""Command-line options shared by subcommands, and turning them into settings."""

from __future__ import annotations

import argparse

from graphs.settings import MementoSettings, load_settings


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """--config, --store and --namespace, which every subcommand that opens a bank takes."""
    parser.add_argument("--config", help="JSON config file (default: $MEMENTO_CONFIG)")
    parser.add_argument("--store", help="case bank: a folder, :memory:, or a Qdrant server URL")
    parser.add_argument("--namespace", help="tenant / agent whose cases are used")


def settings_from_args(args: argparse.Namespace, **extra: object) -> MementoSettings:
    """Settings from the config file with the command-line values laid over it."""
    return load_settings(
        args.config,
        store=getattr(args, "store", None),
        namespace=getattr(args, "namespace", None),
        **extra,
    )
