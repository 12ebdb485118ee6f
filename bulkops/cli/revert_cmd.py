"""`bulkops revert RUN_ID`: the plan that sets back what a run changed, from its journal alone.

It sends no request at all: the saved plan it writes (`--out`) meets the account when `apply`
runs it, with the usual drift check.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bulkops.cli import common
from bulkops.cli.common import err, out
from bulkops.errors import ExitCode
from bulkops.report.revert_view import render_revert, revert_json
from bulkops.run.execution import Settings
from bulkops.run.journal import Journal, RunInfo
from bulkops.tasks import estimate
from bulkops.tasks import saved as saved_plans
from bulkops.tasks.revert import Revert, build_revert

TERMINAL_ROWS = 200  # tasks shown on a terminal, as `plan` does; --json has them all


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "revert",
        help="show (and save) the plan that undoes a run",
        description="For every number RUN_ID changed successfully, a task that sets the values "
        "it had before back, shown as `plan` shows a diff. Nothing is sent: --out saves it for "
        "`bulkops apply FILE`, which leaves any number changed again since the run alone "
        "(stale). Numbers the run unrented are listed: only Plivo's console can reclaim them.",
        epilog=common.examples(
            "bulkops revert latest",
            "bulkops revert 20250101-120000-a1b2c3 --out undo.json && bulkops apply undo.json",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run to undo (see `bulkops runs`)")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="save the revert, for `bulkops apply FILE`"
    )
    parser.add_argument("--json", action="store_true", help="print it as one JSON document")
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    journal = Journal(args.state_dir, create=False)
    info = journal.resolve(args.run_id)  # the ids show and resume accept: latest, a prefix
    succeeded = (entry.task for entry in journal.entries(info.id, ("succeeded",)))
    revert = build_revert(
        info.id, succeeded, plan_name=info.plan_name, limits=Settings.of(info).limits
    )
    counts = journal.counts(info.id)
    now = datetime.now(UTC)
    if args.out:
        _save(args.out, revert, info, now)
    # Applied as a saved plan: its drift check, then its sends, at the run's own rate.
    cost = estimate.of_apply(revert.task_list, revert.task_list.limits.value("rate"), saved=True)
    if args.json:
        doc = revert_json(revert, info, counts, now)
        doc["summary"]["estimate"] = cost.to_json()
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        out.print(render_revert(revert, info, counts, now, max_rows=TERMINAL_ROWS))
        out.print(f"apply: {cost.text()}")
    if args.out:
        err.print(f"saved the revert to {args.out}; run it with: bulkops apply {args.out}")
    return ExitCode.OK


def _save(path: Path, revert: Revert, info: RunInfo, now: datetime) -> None:
    # The run's own account: the revert applies there and nowhere else.
    account = saved_plans.AccountRef(auth_id=info.auth_id, api_url=info.location)
    saved_plans.save(path, revert.task_list, account, now)
