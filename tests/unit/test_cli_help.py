"""`--help` tells the truth: every argument says what it is, every default is the one that
applies (argparse's own, through %(default)s, so it cannot drift), and the model options name
the local model that runs when nothing is configured."""

from __future__ import annotations

import argparse

import pytest

from memento.cli import build_parser
from tests.unit.test_cli_options import LEAVES

ARGUMENTS = [
    (path, action)
    for path, parser in LEAVES.items()
    for action in parser._actions
    if not isinstance(action, argparse._HelpAction)
]
IDS = [f"{' '.join(path)} {action.option_strings or action.dest}" for path, action in ARGUMENTS]


@pytest.mark.parametrize(("path", "action"), ARGUMENTS, ids=IDS)
def test_every_argument_has_a_description(path: tuple[str, ...], action: argparse.Action) -> None:
    assert action.help and len(action.help.strip("() ")) > 12, action.help


@pytest.mark.parametrize(("path", "action"), ARGUMENTS, ids=IDS)
def test_a_default_argparse_applies_is_shown_by_argparse(
    path: tuple[str, ...], action: argparse.Action
) -> None:
    """A help that repeats its default by hand goes stale when the default changes."""
    if action.default in (None, argparse.SUPPRESS, False, "") or action.nargs == 0:
        return
    assert "%(default)s" in (action.help or ""), action.help


def test_the_model_options_name_the_local_model_that_runs_with_nothing_configured(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in ("run", "eval"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "else gpt-4.1 when an endpoint or $OPENAI_API_KEY is set" in text
        assert "with neither, the embedded local model (SmolLM2-135M-Instruct" in text


def test_eval_takes_max_cycles_like_run() -> None:
    for command in (["run", "t"], ["eval", "gsm8k"]):
        args = build_parser().parse_args([*command, "--max-cycles", "1"])
        assert args.max_cycles == 1
    run, evaluate = LEAVES[("run",)], LEAVES[("eval",)]
    assert (
        run._option_string_actions["--max-cycles"].help
        == evaluate._option_string_actions["--max-cycles"].help
    )


def test_defaults_are_filled_in_by_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["mcp", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: stdio)" in text and "(default: 8000)" in text
    assert "%(default)s" not in text
