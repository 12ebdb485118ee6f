"""`bulkops show RUN_ID`: every number's outcome in a run, for a terminal, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from bulkops.cli import common
from bulkops.cli.common import out
from bulkops.errors import ExitCode
from bulkops.report.run_view import csv_rows, show_json, show_table
from bulkops.run.journal import Journal
from bulkops.run.outcome import summarize


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "show",
        help="per-number outcome of a run",
        description="Every number of a run: its rule, action, outcome, attempts, before → after "
        "and error. RUN_ID may be `latest` or any unique beginning of an id. It only reads.",
        epilog=common.examples(
            "bulkops show latest",
            "bulkops show 20250301-093012-4f2a1c --csv > outcome.csv",
            "bulkops show 20250301-0930 --json",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="a run id, `latest`, or an id prefix")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON document")
    fmt.add_argument("--csv", action="store_true", help="CSV, one row per number")
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    journal = Journal.read_only(args.state_dir)
    info = journal.resolve(args.run_id)
    entries = journal.entries(info.id)
    if args.json:
        doc = show_json(info, summarize(journal.counts(info.id)), entries)
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif args.csv:
        csv.writer(sys.stdout).writerows(csv_rows(entries))
    else:
        out.print(show_table(info, entries, width=out.width))
    return ExitCode.OK
