"""`bulkops plan PLAN`: list the account, expand the plan, show the diff. Sends only GETs."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import anyio

from bulkops import savedplan
from bulkops.cli import common
from bulkops.cli.common import OK, err, out
from bulkops.connect import Target, connect
from bulkops.execute.throttle import DEFAULT_RATE
from bulkops.plan.loader import load_plan
from bulkops.prepare import Prepared, from_plan
from bulkops.report.plan_view import plan_to_json, render_plan

TERMINAL_ROWS = 200  # tasks shown on a terminal; --json has them all


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="show what a plan would change (dry run: sends only GET requests)",
        description="List the account's numbers, expand PLAN into per-number tasks and show "
        "every change as before -> after. Nothing is changed.",
    )
    parser.add_argument("plan", type=Path, metavar="PLAN", help="YAML plan file")
    parser.add_argument("--json", action="store_true", help="print the tasks as one JSON document")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="save the reviewed plan, for `bulkops apply FILE`"
    )
    common.add_connection_options(parser, executes=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    common.configure_logging(args.verbose, args.log_format)
    plan = load_plan(args.plan)
    target = Target(
        rate=args.rate or plan.limits.rate or DEFAULT_RATE,
        concurrency=plan.limits.concurrency or common.DEFAULT_CONCURRENCY,
        sandbox=args.sandbox,
        sandbox_numbers=args.sandbox_numbers,
    )

    # The result leaves through a list, not as the coroutine's return value: on exit, Python
    # 3.11's asyncio.Runner builds the repr of the finished main task, result included, which
    # for 300k tasks costs ~1 GB and 15 s.
    box: list[Prepared] = []

    async def prepare() -> None:
        async with connect(target) as connection:
            box.append(await from_plan(plan, connection, date.today()))

    anyio.run(prepare)
    [prepared] = box
    assert prepared.result is not None
    if args.out:
        savedplan.save(args.out, prepared.result, plan, datetime.now(UTC))
    if args.json:
        doc = plan_to_json(prepared.result, prepared.selection)
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        out.print(render_plan(prepared.result, max_rows=TERMINAL_ROWS))
    if args.out:
        err.print(f"saved the reviewed plan to {args.out}; run it with: bulkops apply {args.out}")
    return OK
