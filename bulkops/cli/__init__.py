"""The command line: the only layer that prints. Each command lives in its own module.

It composes the stages, so it may import every one of them; nothing imports it.

Exit codes (a contract scripts rely on) are `bulkops.errors.ExitCode`: 0 all done, 1 some failed,
2 invalid input or usage, 3 refused by a guard (nothing sent), 4 changes pending (`plan
--detailed-exitcode`), 70 internal error (a bug), 130 interrupted (resumable). An error maps to
its code by class; with `--json`, even an error prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence

from rich.markup import escape

from bulkops import __version__
from bulkops.cli import apply_cmd as apply_cmd
from bulkops.cli import completion_cmd as completion_cmd
from bulkops.cli import emulator_cmd as emulator_cmd
from bulkops.cli import plan_cmd as plan_cmd
from bulkops.cli import resume_cmd as resume_cmd
from bulkops.cli import revert_cmd as revert_cmd
from bulkops.cli import runs_cmd as runs_cmd
from bulkops.cli import schema_cmd as schema_cmd
from bulkops.cli import show_cmd as show_cmd
from bulkops.cli import validate_cmd as validate_cmd
from bulkops.cli.common import err
from bulkops.errors import BulkopsError, ExitCode, first_error
from bulkops.report.text import safe

COMMANDS = (
    validate_cmd,
    plan_cmd,
    apply_cmd,
    resume_cmd,
    runs_cmd,
    show_cmd,
    revert_cmd,
    emulator_cmd,
    schema_cmd,
    completion_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulkops",
        description="Change Plivo phone numbers in bulk, safely: plan, review the diff, apply.",
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


def _closed_stdout() -> int:
    """The reader of our output went away (`| head`): stop quietly, as Unix tools do."""
    # Python would report the failed flush of stdout at exit; point it at /dev/null first.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return ExitCode.OK
