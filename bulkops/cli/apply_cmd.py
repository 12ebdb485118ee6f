"""`bulkops apply PLAN|SAVED_PLAN`: guards, then the journaled, rate-limited run."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import anyio

from bulkops import savedplan
from bulkops.cli import common, run_ui
from bulkops.cli.common import REFUSED, CommandError, err, out
from bulkops.connect import Connection, Target, connect
from bulkops.execute.throttle import DEFAULT_RATE
from bulkops.journal import Journal
from bulkops.plan.loader import load_plan
from bulkops.plan.model import Limits
from bulkops.prepare import Prepared, from_plan, from_saved, journal_rows
from bulkops.report.plan_view import render_plan
from bulkops.runner import FailureLimit

DIFF_ROWS = 50  # changes shown before the confirmation question


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="apply a plan (or a plan saved by `plan --out`) to the account",
        description="Plan, check the guards, then send the changes at the account's pace. "
        "Every task is journaled: a run stopped at any moment resumes with `bulkops resume`.",
    )
    parser.add_argument(
        "plan",
        type=Path,
        metavar="PLAN",
        help="YAML plan, or a saved plan from `bulkops plan --out`",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--max-changes",
        type=common.bounded_int(0, 10**9),
        metavar="N",
        help="refuse to run if more than N numbers would change",
    )
    parser.add_argument(
        "--max-failures",
        type=_failure_limit,
        metavar="N|P%",
        help="stop starting tasks once more than N (or P%% of) tasks failed",
    )
    parser.add_argument("--json", action="store_true", help="print a final JSON summary")
    common.add_connection_options(parser, executes=True)
    common.add_state_dir(parser)
    # Benchmark-only: skip journal commits to measure what checkpointing costs. Never for real use.
    parser.add_argument("--bench-no-commit", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def _failure_limit(text: str) -> FailureLimit:
    try:
        return FailureLimit.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    common.configure_logging(args.verbose, args.log_format)
    saved = savedplan.load(args.plan) if savedplan.is_saved_plan(args.plan) else None
    plan = None if saved else load_plan(args.plan)
    limits = saved.limits if saved else plan.limits if plan else Limits()
    target = Target(
        rate=args.rate or limits.rate or DEFAULT_RATE,
        concurrency=args.concurrency or limits.concurrency or common.DEFAULT_CONCURRENCY,
        sandbox=args.sandbox,
        sandbox_numbers=args.sandbox_numbers,
        max_retries=args.max_retries,
    )
    max_changes = args.max_changes if args.max_changes is not None else limits.max_changes
    max_failures = args.max_failures or (
        FailureLimit.parse(limits.max_failures) if limits.max_failures else None
    )
    journal = Journal(args.state_dir)

    async def main() -> int:
        async with connect(target) as connection:
            if saved is not None:
                prepared = await from_saved(saved, connection)
            else:
                assert plan is not None
                prepared = await from_plan(plan, connection, date.today())
            if not args.json:
                _show(prepared)
            await _guard(prepared, connection, max_changes=max_changes, yes=args.yes)
            run_id = journal.create_run(
                plan_name=prepared.plan_name,
                source=prepared.source,
                fingerprint=prepared.fingerprint,
                settings=_settings(target, connection, max_failures),
                tasks=journal_rows(prepared),
            )
            report = await run_ui.execute(
                journal,
                run_id,
                connection,
                concurrency=target.concurrency,
                max_failures=max_failures,
                live=not args.json and err.is_terminal,
                durable=not args.bench_no_commit,
            )
        run_ui.print_report(report, as_json=args.json)
        return report.exit_code

    return anyio.run(main)


def _show(prepared: Prepared) -> None:
    if prepared.result is not None:
        out.print(render_plan(prepared.result, max_rows=DIFF_ROWS))
    else:
        out.print(
            f"saved plan {prepared.plan_name or ''} ({prepared.fingerprint[:12]}): "
            f"{len(prepared.tasks)} tasks still as reviewed"
        )
    for stale in prepared.stale:
        out.print(
            f"[yellow]stale[/] {stale.task.number}: changed since review "
            f"({', '.join(stale.drifted)}); it will be skipped",
            markup=True,
        )


async def _guard(
    prepared: Prepared, connection: Connection, *, max_changes: int | None, yes: bool
) -> None:
    """Refuse (exit 3, nothing sent) unless the run is within its limits and confirmed."""
    changes = len(prepared.tasks)
    if max_changes is not None and changes > max_changes:
        raise CommandError(
            f"{changes} numbers would change, more than the limit of {max_changes} "
            "(--max-changes / limits.max_changes)",
            REFUSED,
        )
    if changes == 0:
        return
    unrents = sum(1 for task in prepared.tasks if task.action == "unrent")
    await run_ui.confirm(
        f"Apply {changes} changes ({changes - unrents} updates, {unrents} unrents) "
        f"to account {connection.auth_id}?",
        yes=yes,
    )


def _settings(
    target: Target, connection: Connection, max_failures: FailureLimit | None
) -> dict[str, object]:
    return {
        "rate": target.rate,
        "concurrency": target.concurrency,
        "max_failures": None if max_failures is None else vars(max_failures),
        "auth_id": connection.auth_id,
        "api_url": connection.api_url,
        "sandbox": target.sandbox,
        "sandbox_numbers": target.sandbox_numbers,
    }
