"""The command line: the only layer that prints. Each command lives in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bulkops import __version__
from bulkops.cli import emulator_cmd

COMMANDS = (emulator_cmd,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulkops", description="Change Plivo phone numbers in bulk, safely."
    )
    parser.add_argument("--version", action="version", version=f"bulkops {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code
