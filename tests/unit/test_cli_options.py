"""The CLI people guess right: global options before or after the subcommand, one `--tools`."""

from __future__ import annotations

import argparse
import json
import typing
from pathlib import Path

import pytest

from memento.cli import build_parser, main
from memento.cli.options import GLOBAL_OPTIONS, settings_from_args, unused_global_options
from memory import Case, CaseBank


def leaf_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every runnable subcommand (`run`, `cases list`, ...) and its parser."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        return {path: parser}
    leaves = {}
    for name, child in subparsers[0].choices.items():
        leaves.update(leaf_parsers(child, (*path, name)))
    return leaves


def minimal_argv(path: tuple[str, ...], parser: argparse.ArgumentParser) -> list[str]:
    """The subcommand with a placeholder ("1": a name, a path, an id or a number) for each
    required argument."""
    argv = list(path)
    for action in parser._actions:
        if action.required and not action.option_strings:
            argv.append("1")
        elif action.required:
            argv += [action.option_strings[0], "1"]
    return argv


LEAVES = leaf_parsers(build_parser())
READS_SETTINGS = {
    path: [name for name in GLOBAL_OPTIONS if f"--{name}" in parser._option_string_actions]
    for path, parser in LEAVES.items()
}
CASES = [(path, name) for path, names in READS_SETTINGS.items() for name in names]


def test_every_command_that_opens_a_bank_takes_every_global_option() -> None:
    for path in [("run",), ("eval",), ("mcp",), ("cases", "list"), ("cases", "show")]:
        assert READS_SETTINGS[path] == list(GLOBAL_OPTIONS), path
    assert READS_SETTINGS[("tools", "list")] == ["config"]
    assert READS_SETTINGS[("local-llm",)] == []


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{' '.join(p)} --{n}" for p, n in CASES])
def test_a_global_option_works_before_or_after_the_subcommand(
    path: tuple[str, ...], name: str
) -> None:
    argv = minimal_argv(path, LEAVES[path])
    parse = build_parser().parse_args

    before = parse([f"--{name}", "given-before", *argv])
    after = parse([*argv, f"--{name}", "given-after"])
    both = parse([f"--{name}", "given-before", *argv, f"--{name}", "given-after"])
    neither = parse(argv)

    assert getattr(before, name) == "given-before"
    assert getattr(after, name) == "given-after"
    assert getattr(both, name) == "given-after"  # the nearer the subcommand's own, the later
    assert getattr(neither, name) is None  # not given: the settings' own default applies
    assert unused_global_options(before) == unused_global_options(after) == []


def test_a_global_option_a_subcommand_ignores_is_refused_not_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--store", "/tmp/bank", "tools", "list"])
    assert exit_info.value.code == 2
    assert "--store does not apply to `memento tools list`" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--config", "f.json", "local-llm"])
    assert "--config does not apply to `memento local-llm`" in capsys.readouterr().err


def test_store_and_namespace_given_before_the_subcommand_reach_the_bank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "bank")
    with CaseBank(store, dim=4) as bank:
        for namespace, question in [("team-a", "What is 2 + 2?"), ("team-b", "Capital of Peru?")]:
            case = Case(
                id="",
                namespace=namespace,
                question=question,
                reward=1.0,
                created_at=0,
                updated_at=0,
            )
            bank.add(case, [1.0, 0.0, 0.0, 0.0])
    capsys.readouterr()

    assert main(["--store", store, "--namespace", "team-b", "cases", "list", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [c["question"] for c in listed] == ["Capital of Peru?"]

    assert main(["--namespace", "team-a", "cases", "list", "--store", store, "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [c["question"] for c in listed] == ["What is 2 + 2?"]

    assert main(["--store", store, "cases", "list"]) == 0  # no namespace: the default one
    assert "namespace 'default' has no cases" in capsys.readouterr().out


def test_tools_is_one_option_on_run_eval_and_tools_list() -> None:
    options = [LEAVES[path]._option_string_actions["--tools"] for path in TOOLS_COMMANDS]
    assert len({(o.help, o.metavar, o.type, o.dest) for o in options}) == 1
    for path in TOOLS_COMMANDS:
        args = build_parser().parse_args(
            [*minimal_argv(path, LEAVES[path]), "--tools", " calculator, python,"]
        )
        assert args.tools == ["calculator", "python"], path


TOOLS_COMMANDS = [("run",), ("eval",), ("tools", "list")]


def test_model_and_base_url_are_one_option_each_on_run_and_eval() -> None:
    for flag in ("--model", "--base-url"):
        options = [LEAVES[path]._option_string_actions[flag] for path in (("run",), ("eval",))]
        assert len({(o.help, o.dest) for o in options}) == 1, flag
    for path in (("run",), ("eval",)):
        argv = [*minimal_argv(path, LEAVES[path]), "--model", "m1", "--base-url", UNREACHABLE]
        context = settings_from_args(build_parser().parse_args(argv)).context
        assert (context.planner_model, context.executor_model, context.judge_model) == (
            "m1",
            "m1",
            "m1",
        ), path
        assert context.base_url == UNREACHABLE, path


@pytest.mark.parametrize("path", TOOLS_COMMANDS, ids=" ".join)
def test_tools_with_no_server_name_is_a_usage_error(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*minimal_argv(path, LEAVES[path]), "--tools", " , "])
    assert exit_info.value.code == 2
    assert "expected comma-separated MCP server names" in capsys.readouterr().err


UNREACHABLE = "http://127.0.0.1:9/v1"  # never called: the servers are chosen first


def test_run_and_eval_start_only_the_servers_tools_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown name fails both commands in one line naming it: they read the same option."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"question": "What is 2 + 2?", "answer": "4"}\n')
    run = ["run", "What is 2 + 2?", "--store", ":memory:", "--base-url", UNREACHABLE]
    evaluation = ["eval", str(tasks), "--memory", "none", "--rounds", "1"]
    evaluation += ["--out", str(tmp_path / "out"), "--base-url", UNREACHABLE]
    for argv in (run, evaluation):
        assert main([*argv, "--tools", "calculator,abacus"]) == 1
        error = capsys.readouterr().err
        last = error.strip().splitlines()[-1]  # eval says its protocol first
        assert last.startswith("memento: error: unknown MCP server 'abacus'"), error
        assert "Traceback" not in error


@pytest.mark.parametrize(
    ("command", "option", "field"),
    [
        ("run", "--mode", "mode"),
        ("run", "--retrieval", "retrieval"),
        ("run", "--max-cycles", "max_cycles"),
        ("run", "--store", "store"),
        ("run", "--namespace", "namespace"),
        ("eval", "--scorer", "scorer"),
    ],
)
def test_an_option_that_sets_a_context_field_says_what_studio_and_the_docs_say(
    command: str, option: str, field: str
) -> None:
    import dataclasses

    from graphs import MementoContext

    description = next(
        f.metadata["description"] for f in dataclasses.fields(MementoContext) if f.name == field
    )
    (action,) = [
        a for a in leaf_parsers(build_parser())[(command,)]._actions if option in a.option_strings
    ]
    assert action.help is not None and action.help.startswith(description)
    hint = MementoContext.__dataclass_fields__[field].type
    if "Literal" in str(hint):  # the field's choices, no second list to drift
        assert set(action.choices or ()) == set(
            typing.get_args(typing.get_type_hints(MementoContext)[field])
        )
