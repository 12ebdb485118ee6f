"""The command line: the only layer that prints. Each command lives in its own module.

It composes the stages, so it may import every one of them; nothing imports it.

Exit codes (a contract scripts rely on) are `bulkops.errors.ExitCode`: 0 all done, 1 some failed,
2 invalid input or usage, 3 refused by a guard (nothing sent), 4 changes pending (`plan
--detailed-exitcode`), 70 internal error (a bug), 130 interrupted (resumable). An error maps to
its code by class; with `--json`, even an error prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import Final

from rich.markup import escape

from bulkops import __version__
from bulkops.cli.common import err
from bulkops.errors import BulkopsError, ExitCode, first_error
from bulkops.report.text import safe

# Each lives in bulkops.cli.<name>_cmd, imported only when its parser is built: a command line
# naming one command imports neither the others nor what only they need (start-up is paid per run).
COMMANDS: Final = (
    "validate",
    "plan",
    "apply",
    "resume",
    "runs",
    "show",
    "revert",
    "emulator",
    "schema",
    "completion",
)


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"bulkops.cli.{name}_cmd")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line's parser; with `only`, one that knows just that command.

    `only` parses that command's arguments exactly as the whole parser does: bulkops' own
    options (--help, --version) and its usage line do not depend on which commands it knows.
    """
    parser = argparse.ArgumentParser(
        prog="bulkops",
        description="Change Plivo phone numbers in bulk, safely: plan, review the diff, apply.",
    )
    parser.add_argument("--version", action="version", version=f"bulkops {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        _module(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_named_command(words)).parse_args(words)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return _fail(args, "interrupted", ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return _closed_stdout()
    except Exception as exc:  # every known failure becomes a message and an exit code
        cause = first_error(exc)
        if isinstance(cause, BulkopsError):
            return _fail(args, str(cause), cause.exit_code)
        return _internal_error(args, exc)
    return code


def _fail(args: argparse.Namespace, message: str, code: ExitCode) -> int:
    # The message may quote the user's or Plivo's text: never markup, never terminal control.
    shown = escape(safe(message, limit=2000))
    err.print(f"[bold red]error:[/] {shown}", markup=True, highlight=False)
    if code == ExitCode.REFUSED:
        err.print("nothing was changed")
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps({"exit_code": int(code), "reason": message}) + "\n")
    return code


def _internal_error(args: argparse.Namespace, exc: BaseException) -> int:
    cause = first_error(exc)
    if getattr(args, "verbose", 0) >= 2:
        traceback.print_exception(exc, file=sys.stderr)
    message = f"internal error: {type(cause).__name__}: {cause}"
    err.print(f"[bold red]{escape(message)}[/]", markup=True, highlight=False)
    err.print("this is a bug in bulkops; rerun with -vv for the traceback and report it")
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps({"exit_code": ExitCode.INTERNAL, "reason": message}) + "\n")
    return ExitCode.INTERNAL


def load_command(words: Sequence[str]) -> None:
    """Import the module of the command `words` name, as `main` would (the process entry does
    it while it loads the rest of start-up)."""
    name = _named_command(words)
    if name is not None:
        _module(name)


def _named_command(words: Sequence[str]) -> str | None:
    """The command the line starts with; None (the whole parser) for anything else, e.g. --help."""
    return words[0] if words and words[0] in COMMANDS else None


def _closed_stdout() -> int:
    """The reader of our output went away (`| head`): stop quietly, as Unix tools do."""
    # Python would report the failed flush of stdout at exit; point it at /dev/null first.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return ExitCode.OK
