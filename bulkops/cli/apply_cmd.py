"""`bulkops apply PLAN|SAVED_PLAN`: guards, then the journaled, rate-limited run."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import anyio

from bulkops import limits
from bulkops.account import Account, open_account
from bulkops.cli import common, run_ui
from bulkops.cli.common import err, out
from bulkops.cli.phases import phase_progress
from bulkops.errors import Refused
from bulkops.limits import Limits
from bulkops.plan import Plan, load_plan
from bulkops.report.diff import render_plan
from bulkops.report.text import safe
from bulkops.run import execution
from bulkops.run.journal import Journal
from bulkops.tasks import estimate
from bulkops.tasks import saved as saved_plans
from bulkops.tasks.model import TaskList
from bulkops.tasks.prepare import from_plan, from_saved

DIFF_ROWS = 50  # changes shown before the confirmation question


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="apply a plan (or a plan saved by `plan --out`) to the account",
        description="Plan, check the guards, then send the changes at the account's pace. "
        "Every task is journaled: a run stopped at any moment resumes with `bulkops resume`. "
        "It asks before sending, on the terminal even when stdout is a pipe; without a terminal "
        "it needs --yes.",
        epilog=common.examples(
            "bulkops apply plans/reassign-to-ivr.yaml --sandbox --yes",
            "bulkops apply reviewed.json",
            "bulkops apply plans/cleanup-unused.yaml --yes --json --max-changes 500",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument(
        "plan",
        type=Path,
        metavar="PLAN",
        help="YAML plan, or a saved plan from `bulkops plan --out`",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    common.limit_flag(parser, limits.MAX_CHANGES)
    common.limit_flag(parser, limits.MAX_FAILURES)
    common.add_wait(parser)
    parser.add_argument("--json", action="store_true", help="print a final JSON summary")
    common.add_connection_options(parser, executes=True)
    common.add_state_dir(parser)
    # Benchmark-only: skip journal commits to measure what checkpointing costs. Never for real use.
    parser.add_argument("--bench-no-commit", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    common.configure_logging(args.verbose, args.log_format)
    saved = saved_plans.load(args.plan) if saved_plans.is_saved_plan(args.plan) else None
    plan = None if saved else load_plan(args.plan)
    written = saved.limits if saved else plan.limits if plan else Limits()
    chosen = written.overridden_by(common.limits_from(args))
    target = common.target(args, chosen)
    journal = Journal(args.state_dir)

    is_saved = saved is not None
    # Popped once planned, so that neither the loaded plan nor its tasks are held during the run
    # (their memory is then reused by the run instead of adding to it: 300k tasks are ~200 MB).
    loaded: list[saved_plans.SavedPlan | Plan] = [saved if saved is not None else _plan(plan)]
    del saved, plan

    async def start(account: Account) -> execution.NewRun:
        source = loaded.pop()
        cache = common.usage_cache(args, account)
        with phase_progress() as progress:
            if isinstance(source, saved_plans.SavedPlan):
                task_list = await from_saved(source, account, str(args.plan), progress=progress)
            else:
                task_list = await from_plan(
                    source, account, date.today(), usage_cache=cache, progress=progress
                )
        del source
        if not args.json:
            _show(task_list, is_saved)
            out.print(f"to send: {estimate.of_run(task_list, chosen.value('rate')).text()}")
        await _guard(task_list, account, max_changes=chosen.max_changes, yes=args.yes)
        settings = execution.Settings(
            limits=chosen, sandbox=args.sandbox, sandbox_numbers=args.sandbox_numbers
        )
        return execution.start(journal, task_list, account, settings)

    async def main() -> int:
        async with (
            open_account(target) as account,
            common.account_lock(args, account, f"apply of {args.plan}") as lock,
        ):
            run = await start(account)
            lock.note(f"run {run.run_id} (apply of {args.plan})")
            with journal.lock(run.run_id):
                report = await run_ui.execute(
                    journal,
                    run,
                    account,
                    max_failures=chosen.max_failures,
                    live=not args.json and err.is_terminal,
                    durable=not args.bench_no_commit,
                )
        run_ui.print_report(report, as_json=args.json)
        return report.exit_code

    return anyio.run(main)


def _plan(plan: Plan | None) -> Plan:
    assert plan is not None  # not a saved plan, so a plan was loaded
    return plan


def _show(task_list: TaskList, saved: bool) -> None:
    if not saved:
        out.print(
            render_plan(task_list, max_rows=DIFF_ROWS, more="`bulkops plan --full` lists them")
        )
    else:
        out.print(
            f"saved plan {safe(task_list.plan_name or '')} ({task_list.fingerprint[:12]}): "
            f"{len(task_list.tasks)} tasks still as reviewed"
        )
    for stale in task_list.stale:
        out.print(
            f"[yellow]stale[/] {stale.task.number}: changed since review "
            f"({', '.join(stale.drifted)}); it will be skipped",
            markup=True,
        )


async def _guard(
    task_list: TaskList, account: Account, *, max_changes: int | None, yes: bool
) -> None:
    """Refuse (exit 3, nothing sent) unless the run is within its limits and confirmed."""
    changes = len(task_list.tasks)
    if max_changes is not None and changes > max_changes:
        raise Refused(
            f"{changes} numbers would change, more than the limit of {max_changes} "
            "(--max-changes / limits.max_changes)"
        )
    if changes == 0:
        return
    unrents = sum(1 for task in task_list.tasks if task.action == "unrent")
    await run_ui.confirm(
        f"Apply {changes} changes ({changes - unrents} updates, {unrents} unrents) "
        f"to account {account.auth_id}?",
        yes=yes,
    )
