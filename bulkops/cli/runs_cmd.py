"""`bulkops runs`: the runs in the state directory, newest first."""

from __future__ import annotations

import argparse
import json
import sys

from bulkops.cli import common
from bulkops.cli.common import OK, out
from bulkops.journal import DB_NAME, Journal, RunInfo, summarize

OUTCOMES = ("succeeded", "failed", "unchanged", "stale", "skipped")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("runs", help="list runs (id, plan, started, status, counts)")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.state_dir.exists() or (
        args.state_dir.is_dir() and not (args.state_dir / DB_NAME).exists()
    ):
        runs: list[tuple[RunInfo, dict[str, int], str]] = []  # nothing has run here yet
    else:
        journal = Journal(args.state_dir, create=False)
        runs = [
            (info, summarize(journal.counts(info.id)), _status(journal, info))
            for info in journal.runs()
        ]
    if args.json:
        rows = [
            {
                "run_id": info.id,
                "plan": info.plan_name or info.source,
                "started": info.created_at,
                "status": info.status,
                "counts": counts,
            }
            for info, counts, _ in runs
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return OK
    if not runs:
        out.print(f"no runs in {args.state_dir}")
        return OK
    for info, counts, status in runs:
        started = info.created_at[:16].replace("T", " ")
        plan = info.plan_name or info.source or "(unnamed plan)"
        out.print(f"{info.id}  {status:<17} {started} UTC  {plan}")
        out.print(f"    {_outcomes(counts)}")
    return OK


def _status(journal: Journal, info: RunInfo) -> str:
    if info.status == "running" and not journal.is_locked(info.id):
        return "died (resumable)"  # killed without a chance to record it
    return info.status


def _outcomes(counts: dict[str, int]) -> str:
    parts = [f"{counts[k]} {k}" for k in OUTCOMES if counts[k]]
    return f"{counts['planned']} planned: " + (", ".join(parts) or "nothing yet")
