"""`bulkops runs`: the runs in the state directory, newest first."""

from __future__ import annotations

import argparse
import json
import sys

from rich.table import Table

from bulkops.cli import common
from bulkops.cli.common import OK, out
from bulkops.journal import Journal, summarize

COUNT_COLUMNS = ("planned", "succeeded", "failed", "unchanged", "stale", "skipped")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("runs", help="list runs (id, plan, started, status, counts)")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    journal = Journal(args.state_dir)
    runs = [(info, summarize(journal.counts(info.id))) for info in journal.runs()]
    if args.json:
        rows = [
            {
                "run_id": info.id,
                "plan": info.plan_name or info.source,
                "started": info.created_at,
                "status": info.status,
                "counts": counts,
            }
            for info, counts in runs
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return OK
    if not runs:
        out.print(f"no runs in {args.state_dir}")
        return OK
    table = Table("run", "plan", "started", "status", *COUNT_COLUMNS)
    for info, counts in runs:
        table.add_row(
            info.id,
            info.plan_name or info.source or "",
            info.created_at,
            info.status,
            *(str(counts[k]) for k in COUNT_COLUMNS),
        )
    out.print(table)
    return OK
