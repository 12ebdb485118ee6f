"""`bulkops runs prune --older-than AGE`: forget old finished runs and stale lock files."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Final

from bulkops.cli import common
from bulkops.cli.common import out
from bulkops.errors import ExitCode
from bulkops.report.prune_view import prune_json, render_prune
from bulkops.run.journal import DB_NAME, Journal
from bulkops.run.prune import prune

UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AGE: Final = re.compile(r"(\d+)([smhdw])")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "prune",
        help="forget old finished runs and stale lock files",
        description="Remove from the journal every run last active before AGE ago that has "
        "no task left to send and that no process is executing, and the lock files nobody "
        "holds whose run is gone or whose account has not been used since. A run with tasks "
        "left (resumable) is kept unless --include-unfinished; a run being executed, always.",
        epilog=common.examples(
            "bulkops runs prune --older-than 30d --dry-run",
            "bulkops runs prune --older-than 12w --json",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument(
        "--older-than",
        type=age,
        required=True,
        metavar="AGE",
        help="how long ago a run was last active: a whole number and a unit, s m h d w (30d)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would go, and remove nothing"
    )
    parser.add_argument(
        "--include-unfinished",
        action="store_true",
        help="prune runs with tasks left too (they can no longer be resumed)",
    )
    # SUPPRESS: `runs --json prune` and `runs prune --json` both work, neither overwrites the other.
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print what was pruned"
    )
    common.add_state_dir(parser, inherited=True)
    parser.set_defaults(run=run)


def age(text: str) -> timedelta:
    """`30d` → 30 days; the unit is required, so "30" is never read as seconds by mistake."""
    match = _AGE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"expected a whole number and a unit (s, m, h, d, w), like 30d; got {text!r}"
        )
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def run(args: argparse.Namespace) -> int:
    if not (args.state_dir / DB_NAME).is_file():
        out.print(f"no runs in {args.state_dir}: nothing to prune")
        return ExitCode.OK
    journal = Journal.read_only(args.state_dir) if args.dry_run else Journal(args.state_dir)
    cutoff = datetime.now(UTC) - args.older_than
    pruned = prune(
        journal, cutoff, dry_run=args.dry_run, include_unfinished=args.include_unfinished
    )
    if args.json:
        sys.stdout.write(json.dumps(prune_json(pruned), indent=2) + "\n")
    else:
        out.print(render_prune(pruned))
    return ExitCode.OK
