"""`bulkops plan PLAN`: list the account, expand the plan, show the diff. Sends only GETs."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import anyio

from bulkops.account import open_account
from bulkops.cli import common
from bulkops.cli.common import err, out
from bulkops.cli.phases import phase_progress
from bulkops.errors import ExitCode
from bulkops.plan import load_plan
from bulkops.report.diff import plan_to_json, render_plan
from bulkops.tasks import estimate
from bulkops.tasks import saved as saved_plans
from bulkops.tasks.model import TaskList
from bulkops.tasks.prepare import account_ref, from_plan

TERMINAL_ROWS = 200  # tasks shown on a terminal; --json has them all


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="show what a plan would change (dry run: sends only GET requests)",
        description="List the account's numbers, expand PLAN into per-number tasks and show "
        "every change as before → after. Nothing is changed. With --detailed-exitcode it exits "
        "4 when there is something to change, 0 when there is not.",
        epilog=common.examples(
            "bulkops plan plans/reassign-to-ivr.yaml --sandbox",
            "bulkops plan plans/cleanup-unused.yaml --out reviewed.json",
            "bulkops plan plans/migrate-subaccount.yaml --detailed-exitcode --json > plan.json",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("plan", type=Path, metavar="PLAN", help="YAML plan file")
    parser.add_argument("--json", action="store_true", help="print the tasks as one JSON document")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="save the reviewed plan, for `bulkops apply FILE`"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"list every task in the text output (default: the first {TERMINAL_ROWS})",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 4 when the plan would change something, 0 when nothing (errors keep theirs)",
    )
    common.add_connection_options(parser, executes=False)
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    common.configure_logging(args.verbose, args.log_format)
    plan = load_plan(args.plan)
    chosen = plan.limits.overridden_by(common.limits_from(args))
    target = common.target(args, chosen)

    # The result leaves through a list, not as the coroutine's return value: on exit, Python
    # 3.11's asyncio.Runner builds the repr of the finished main task, result included, which
    # for 300k tasks costs ~1 GB and 15 s.
    box: list[tuple[TaskList, saved_plans.AccountRef]] = []

    async def prepare() -> None:
        async with open_account(target) as account:
            cache = common.usage_cache(args, account)
            with phase_progress() as progress:
                task_list = await from_plan(
                    plan, account, date.today(), usage_cache=cache, progress=progress
                )
            box.append((task_list, account_ref(account)))

    anyio.run(prepare)
    [(task_list, where)] = box
    if args.out:
        saved_plans.save(args.out, task_list, where, datetime.now(UTC))
    cost = estimate.of_apply(task_list, chosen.value("rate"), saved=args.out is not None)
    if args.json:
        doc = plan_to_json(task_list)
        doc["summary"]["estimate"] = cost.to_json()
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        rows = None if args.full else TERMINAL_ROWS
        out.print(render_plan(task_list, max_rows=rows, more="--full lists them all"))
        out.print(f"apply: {cost.text()}")
    if args.out:
        err.print(f"saved the reviewed plan to {args.out}; run it with: bulkops apply {args.out}")
    if args.detailed_exitcode and task_list.tasks:
        return ExitCode.CHANGES_PENDING
    return ExitCode.OK
