"""`bulkops resume [RUN_ID]`: carry on with an unfinished run, re-checking what was in flight."""

from __future__ import annotations

import argparse

import anyio

from bulkops import limits
from bulkops.account import Account, open_account
from bulkops.cli import common, run_ui
from bulkops.cli.common import out
from bulkops.cli.phases import phase_progress
from bulkops.errors import ExitCode, Refused, UsageError
from bulkops.report.run_view import age
from bulkops.run import execution
from bulkops.run.journal import DB_NAME, Journal, RunInfo
from bulkops.run.outcome import RunReport
from bulkops.run.recheck import Recheck, recheck


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "resume",
        help="carry on with an unfinished run",
        description="Continue RUN_ID (default: the latest unfinished run in the state "
        "directory that no later run of the same plan superseded). Completed tasks are never "
        "sent again, and every task left is checked against the number as it is now: one that "
        "changed since it was planned is left alone (stale). RUN_ID may be `latest` or any "
        "unique beginning of an id.",
        epilog=common.examples(
            "bulkops resume",
            "bulkops resume latest --yes --json",
            "bulkops resume 20250301-0930 --retry-failed",
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("run_id", nargs="?", metavar="RUN_ID")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="send the run's failed tasks again too (after fixing what made them fail)",
    )
    parser.add_argument("--json", action="store_true", help="print a final JSON summary")
    common.limit_flag(parser, limits.MAX_CHANGES)
    common.add_wait(parser)
    common.add_connection_options(parser, executes=True)
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    common.configure_logging(args.verbose, args.log_format)
    if args.run_id is None and not (args.state_dir / DB_NAME).exists():
        out.print(f"no runs in {args.state_dir}: nothing to resume")
        return ExitCode.OK
    journal = Journal(args.state_dir, create=False)
    info = _find(journal, args.run_id)
    if info is None:
        out.print(f"no unfinished run in {args.state_dir}: nothing to resume")
        return ExitCode.OK
    counts = journal.counts(info.id)
    todo = counts["pending"] + counts["inflight"] + (counts["failed"] if args.retry_failed else 0)
    if todo == 0:
        report = execution.close_if_done(journal, info)
        out.print(f"run {info.id} is finished: nothing to send")
        if args.json:
            run_ui.print_report(report, as_json=True)
        return report.exit_code
    settings = execution.Settings.of(info)
    sandbox = _same_place(info, settings, args.sandbox)
    # The run keeps the limits it was made with; flags given now override them.
    chosen = settings.limits.overridden_by(common.limits_from(args))
    target = common.target(args, chosen, sandbox=sandbox, sandbox_numbers=settings.sandbox_numbers)

    async def main() -> int:
        async with open_account(target) as account:
            _same_account(info, account.auth_id, account.location)
            async with common.account_lock(args, account, f"resume of run {info.id}"):
                with journal.lock(info.id):
                    report = await _resume(info, account)
        run_ui.print_report(report, as_json=args.json)
        return report.exit_code

    async def _resume(info: RunInfo, account: Account) -> RunReport:
        with phase_progress() as progress:
            checked = await recheck(
                journal, info.id, account, failed_too=args.retry_failed, progress=progress
            )
        await _guard(info, account, checked, max_changes=chosen.max_changes, yes=args.yes)
        return await run_ui.execute(
            journal,
            info.id,
            account,
            max_failures=chosen.max_failures,
            live=not args.json and common.err.is_terminal,
            retry_failed=args.retry_failed,
            checked=checked,
        )

    return anyio.run(main)


async def _guard(
    info: RunInfo, account: Account, checked: Recheck, *, max_changes: int | None, yes: bool
) -> None:
    """Refuse (exit 3) over the change limit; otherwise ask, saying what the re-check found."""
    if max_changes is not None and checked.left > max_changes:
        raise Refused(
            f"{checked.left} numbers would change, more than the limit of {max_changes} "
            "(--max-changes / limits.max_changes)"
        )
    plan = info.plan_name or info.source or "an unnamed plan"
    found = f"{checked.stale} changed since planned (left alone)"
    if checked.done:
        found += f", {checked.done} already done"
    await run_ui.confirm(
        f"Resume run {info.id} of {plan} on account {account.auth_id}, started "
        f"{age(info.created_at)} ago: {checked.left} tasks to send, {found}?",
        yes=yes,
    )


def _same_place(info: RunInfo, settings: execution.Settings, sandbox_flag: bool) -> bool:
    """A run resumes where it was made: the sandbox, or a real account, never a mix."""
    made_in_sandbox = settings.sandbox
    if sandbox_flag and not made_in_sandbox:
        raise UsageError(
            f"run {info.id} was made against a Plivo account, not the sandbox: "
            "resume it without --sandbox"
        )
    return made_in_sandbox


def _same_account(info: RunInfo, auth_id: str, location: str) -> None:
    if location == "sandbox":
        return  # every sandbox is a new emulator: there is no account to mistake for another
    if info.auth_id and info.auth_id != auth_id:
        raise UsageError(
            f"run {info.id} was made for account {info.auth_id}, but PLIVO_AUTH_ID is {auth_id}"
        )
    if info.location and info.location != location:
        raise UsageError(
            f"run {info.id} was made against {info.location}, but PLIVO_API_URL points at "
            f"{location}"
        )


def _find(journal: Journal, run_id: str | None) -> RunInfo | None:
    if run_id is None:
        info, superseded = execution.resumable(journal)
        for older, newer in superseded:
            out.print(
                f"not resuming run {older.id}: the later run {newer.id} of the same plan on "
                f"the same account superseded it (name it to resume it anyway)"
            )
        return info
    return journal.resolve(run_id)
