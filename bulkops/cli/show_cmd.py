"""`bulkops show RUN_ID`: every number's outcome in a run, for a terminal, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from rich import box
from rich.table import Table

from bulkops.cli import common
from bulkops.cli.common import OK, CommandError, out
from bulkops.journal import Journal, TaskRow, summarize

CSV_FIELDS = ("number", "rule", "action", "outcome", "attempts", "error", "changes")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("show", help="per-number outcome of a run")
    parser.add_argument("run_id", metavar="RUN_ID")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON document")
    fmt.add_argument("--csv", action="store_true", help="CSV, one row per number")
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    journal = Journal(args.state_dir, create=False)
    info = journal.run(args.run_id)
    if info is None:
        raise CommandError(f"no run {args.run_id!r} in {args.state_dir} (see `bulkops runs`)")
    rows = journal.tasks(info.id)
    if args.json:
        doc = {
            "run_id": info.id,
            "plan": info.plan_name,
            "status": info.status,
            "counts": summarize(journal.counts(info.id)),
            "tasks": [_as_json(row) for row in rows],
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(CSV_FIELDS)
        for row in rows:
            writer.writerow(
                [
                    row.number,
                    row.rule,
                    row.action,
                    _outcome(row),
                    row.attempts,
                    row.error or "",
                    _changes_text(row),
                ]
            )
    else:
        table = Table(
            "number",
            "rule",
            "action",
            "outcome",
            "attempts",
            "changes",
            "error",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for row in rows:
            table.add_row(
                row.number,
                row.rule,
                row.action,
                _outcome(row),
                str(row.attempts),
                _changes_text(row),
                row.error or "",
            )
        out.print(f"run {info.id} ({info.plan_name or info.source}): {info.status}")
        out.print(table)
    return OK


def _outcome(row: TaskRow) -> str:
    return "skipped" if row.state in ("pending", "inflight") else row.state


def _changes_text(row: TaskRow) -> str:
    return "; ".join(f"{c['field']}: {c['before']} -> {c['after']}" for c in row.changes)


def _as_json(row: TaskRow) -> dict[str, object]:
    return {
        "number": row.number,
        "rule": row.rule,
        "action": row.action,
        "outcome": _outcome(row),
        "attempts": row.attempts,
        "error": row.error,
        "changes": {c["field"]: {"before": c["before"], "after": c["after"]} for c in row.changes},
    }
