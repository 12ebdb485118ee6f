"""The command line: the only layer that prints. Each command lives in its own module.

Exit codes (a contract scripts rely on): 0 all done, 1 some failed, 2 invalid input or usage,
3 refused by a guard (nothing sent), 130 interrupted (resumable).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rich.markup import escape

from bulkops import __version__
from bulkops.cli import apply_cmd as apply_cmd
from bulkops.cli import emulator_cmd as emulator_cmd
from bulkops.cli import plan_cmd as plan_cmd
from bulkops.cli import resume_cmd as resume_cmd
from bulkops.cli import runs_cmd as runs_cmd
from bulkops.cli import show_cmd as show_cmd
from bulkops.cli import validate_cmd as validate_cmd
from bulkops.cli.common import FAILED, INTERRUPTED, INVALID, REFUSED, CommandError, err

COMMANDS = (validate_cmd, plan_cmd, apply_cmd, resume_cmd, runs_cmd, show_cmd, emulator_cmd)


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
        err.print("interrupted")
        return INTERRUPTED
    except Exception as exc:  # every known failure becomes a message and an exit code
        message, code = explain(_first_cause(exc))
        # The message may quote the user's own text: never let rich read it as markup.
        err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
        if code == REFUSED:
            err.print("nothing was changed")
    return code


def _first_cause(exc: Exception) -> Exception:
    """The error inside an exception group from a task group: what actually went wrong."""
    while isinstance(exc, ExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def explain(exc: Exception) -> tuple[str, int]:
    """The message and exit code for an error that reached the top."""
    # Imported here so that `bulkops --help` does not load every stage.
    from bulkops.client import AuthenticationError, CredentialsError, PlivoError
    from bulkops.journal import JournalError, RunLockedError, StateDirError
    from bulkops.numbers import InvalidNumberError
    from bulkops.plan.problems import PlanError
    from bulkops.planner import PlanConflictError
    from bulkops.prepare import PreparationError
    from bulkops.runner import FatalRunError
    from bulkops.savedplan import SavedPlanError

    if isinstance(exc, CommandError):
        return str(exc), exc.code
    if isinstance(exc, PlanError):
        count = len(exc.problems)
        lines = "\n".join(str(problem) for problem in exc.problems)
        return f"the plan has {count} problem{'s' if count > 1 else ''}:\n{lines}", INVALID
    if isinstance(exc, PlanConflictError | PreparationError | SavedPlanError):
        return str(exc), INVALID
    if isinstance(exc, CredentialsError | InvalidNumberError):
        return str(exc), INVALID
    if isinstance(exc, RunLockedError):
        return str(exc), REFUSED
    if isinstance(exc, StateDirError):
        return str(exc), INVALID
    if isinstance(exc, AuthenticationError | FatalRunError):
        return str(exc), FAILED
    if isinstance(exc, PlivoError | JournalError):
        return str(exc), FAILED
    if isinstance(exc, ValueError):  # input the checks above did not foresee: still not a crash
        return str(exc), INVALID
    raise exc
