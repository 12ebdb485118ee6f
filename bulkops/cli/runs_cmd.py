"""`bulkops runs`: the runs in the state directory, newest first."""

from __future__ import annotations

import argparse
import json
import sys

from bulkops.cli import common, prune_cmd
from bulkops.cli.common import out
from bulkops.errors import ExitCode
from bulkops.report.run_view import render_runs, runs_json
from bulkops.run.journal import DB_NAME, Journal, RunInfo
from bulkops.run.outcome import summarize


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="list runs (id, plan, started, status, counts)",
        description="List the runs in the state directory, newest first: id, status, start, "
        "plan and outcome counts. It only reads (a read-only state directory will do). "
        "`runs prune` forgets old finished runs.",
        epilog=common.examples(
            "bulkops runs",
            "bulkops runs --json --state-dir /var/lib/bulkops",
            "bulkops runs prune --older-than 30d --dry-run",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    common.add_state_dir(parser)
    parser.set_defaults(run=run)
    actions = parser.add_subparsers(dest="runs_action", metavar="ACTION")
    prune_cmd.add_parser(actions)


def run(args: argparse.Namespace) -> int:
    if not args.state_dir.exists() or (
        args.state_dir.is_dir() and not (args.state_dir / DB_NAME).exists()
    ):
        runs: list[tuple[RunInfo, dict[str, int], str]] = []  # nothing has run here yet
    else:
        journal = Journal.read_only(args.state_dir)
        runs = [
            (info, summarize(journal.counts(info.id)), _status(journal, info))
            for info in journal.runs()
        ]
    if args.json:
        sys.stdout.write(json.dumps(runs_json(runs), indent=2) + "\n")
    elif not runs:
        out.print(f"no runs in {args.state_dir}")
    else:
        out.print(render_runs(runs))
    return ExitCode.OK


def _status(journal: Journal, info: RunInfo) -> str:
    if info.status == "running" and not journal.is_locked(info.id):
        return "died (resumable)"  # killed without a chance to record it
    return info.status
