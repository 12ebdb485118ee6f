"""Every command explains itself, and the shells complete bulkops from the same description."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulkops.cli import build_parser
from bulkops.cli.completion import SHELLS
from tests.emulated import Cli

REPO = Path(__file__).resolve().parents[2]


def _subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _subcommands(sub, (*path, name))


SUBCOMMANDS = list(_subcommands(build_parser()))


def test_the_walk_finds_every_command() -> None:
    """The help test below covers nested commands too (`runs prune`)."""
    names = {" ".join(path) for path, _ in SUBCOMMANDS}
    assert {"validate", "plan", "apply", "resume", "runs", "runs prune", "show"} <= names
    assert {"emulator", "completion"} <= names


@pytest.mark.parametrize(
    ("path", "parser"), SUBCOMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_subcommand_help_has_a_description_and_an_example(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    """`bulkops CMD --help` says what CMD does in a sentence and shows a command line to copy."""
    text = parser.format_help()
    assert parser.description, f"bulkops {' '.join(path)} has no description"
    assert parser.description.split()[0] in text
    assert "example" in text.lower()
    command = "bulkops " + " ".join(path)
    examples = [line.strip() for line in text.splitlines() if line.startswith("  bulkops ")]
    assert any(line.startswith(command) for line in examples), text


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_prints_a_script_naming_every_command(cli: Cli, shell: str) -> None:
    """`bulkops completion SHELL` exits 0 with a script that knows each subcommand."""
    ran = cli("completion", shell)
    assert ran.code == 0
    for path, _ in SUBCOMMANDS:
        assert path[-1] in ran.out
    if shutil.which(shell):  # syntax check where the shell is installed
        check = subprocess.run([shell, "-n"], input=ran.out, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


def _bash_complete(script: str, line: str) -> list[str]:
    """What bash offers for `line` (a trailing space: a new, empty word), run in plans/."""
    program = (
        'source /dev/stdin; read -ra COMP_WORDS <<< "$1"; [[ "$1" == *" " ]] && COMP_WORDS+=("");'
        ' COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _bulkops; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "-c", program, "_", line],
        input=script,
        text=True,
        capture_output=True,
        cwd=REPO / "plans",
        check=True,
    )
    return [word for word in done.stdout.splitlines() if word]


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("bulkops pl", ["plan"]),
        ("bulkops runs pr", ["prune"]),
        ("bulkops plan --log-format j", ["json"]),
        ("bulkops apply --y", ["--yes"]),
        ("bulkops show l", ["latest"]),
        ("bulkops completion f", ["fish"]),
        ("bulkops plan reassign", ["reassign-to-ivr.yaml"]),
    ],
)
def test_bash_completes_subcommands_flags_and_values(
    cli: Cli, line: str, offered: list[str]
) -> None:
    """With the script loaded, bash completes what a user typed so far."""
    script = cli("completion", "bash").out
    assert _bash_complete(script, line) == offered


def test_bash_offers_every_command_after_bulkops(cli: Cli) -> None:
    """`bulkops <TAB>` lists exactly the subcommands."""
    script = cli("completion", "bash").out
    offered = set(_bash_complete(script, "bulkops "))
    assert {path[0] for path, _ in SUBCOMMANDS} == offered


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_a_nested_subcommand(cli: Cli) -> None:
    """fish, given the script, completes `runs pr` to `prune`."""
    script = cli("completion", "fish").out
    done = subprocess.run(
        ["fish", "-c", 'source; complete -C "bulkops runs pr"'],
        input=script,
        text=True,
        capture_output=True,
        check=True,
    )
    assert done.stdout.split("\t")[0] == "prune"
