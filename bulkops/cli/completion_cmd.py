"""`bulkops completion bash|zsh|fish`: print the shell's completion script for bulkops."""

from __future__ import annotations

import argparse
import sys

from bulkops.cli import common
from bulkops.cli.completion import SHELLS, script
from bulkops.errors import ExitCode


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print the completion script for SHELL on stdout: subcommands, flags, "
        "their values (choices, files, directories) and `latest` for a RUN_ID. Load it from "
        "the shell's start-up file.",
        epilog=common.examples(
            "source <(bulkops completion bash)        # in ~/.bashrc",
            "source <(bulkops completion zsh)         # in ~/.zshrc, after compinit",
            "bulkops completion fish > ~/.config/fish/completions/bulkops.fish",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The whole command line is described by the root parser, which imports this module.
    from bulkops.cli import build_parser

    sys.stdout.write(script(args.shell, build_parser()))
    return ExitCode.OK
