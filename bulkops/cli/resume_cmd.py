"""`bulkops resume [RUN_ID]`: carry on with an unfinished run, re-checking what was in flight."""

from __future__ import annotations

import argparse

import anyio

from bulkops.cli import common, run_ui
from bulkops.cli.common import OK, CommandError, out
from bulkops.connect import Target, connect
from bulkops.journal import DB_NAME, Journal, RunInfo, summarize
from bulkops.runner import FailureLimit


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "resume",
        help="carry on with an unfinished run",
        description="Continue RUN_ID (default: the latest unfinished run in the state "
        "directory). Completed tasks are never sent again; tasks that were in flight are "
        "checked with a GET first.",
    )
    parser.add_argument("run_id", nargs="?", metavar="RUN_ID")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="send the run's failed tasks again too (after fixing what made them fail)",
    )
    parser.add_argument("--json", action="store_true", help="print a final JSON summary")
    common.add_connection_options(parser, executes=True)
    common.add_state_dir(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    common.configure_logging(args.verbose, args.log_format)
    if args.run_id is None and not (args.state_dir / DB_NAME).exists():
        out.print(f"no runs in {args.state_dir}: nothing to resume")
        return OK
    journal = Journal(args.state_dir, create=False)
    info = _find(journal, args.run_id)
    if info is None:
        out.print(f"no unfinished run in {args.state_dir}: nothing to resume")
        return OK
    counts = journal.counts(info.id)
    todo = counts["pending"] + counts["inflight"] + (counts["failed"] if args.retry_failed else 0)
    if todo == 0:
        return _nothing_to_send(journal, info, counts, as_json=args.json)
    settings = info.settings
    sandbox = _same_place(info, args.sandbox)
    target = Target(
        rate=args.rate or settings.get("rate"),
        concurrency=args.concurrency or settings.get("concurrency") or 8,
        sandbox=sandbox,
        sandbox_numbers=settings.get("sandbox_numbers") or args.sandbox_numbers,
        max_retries=args.max_retries,
    )
    limit = settings.get("max_failures")
    max_failures = FailureLimit(**limit) if limit else None

    async def main() -> int:
        async with connect(target) as connection:
            if not sandbox:
                _same_account(info, connection.auth_id, connection.api_url)
            await run_ui.confirm(f"Resume run {info.id}: {todo} tasks left?", yes=args.yes)
            report = await run_ui.execute(
                journal,
                info.id,
                connection,
                concurrency=target.concurrency,
                max_failures=max_failures,
                live=not args.json and common.err.is_terminal,
                retry_failed=args.retry_failed,
            )
        run_ui.print_report(report, as_json=args.json)
        return report.exit_code

    return anyio.run(main)


def _nothing_to_send(
    journal: Journal, info: RunInfo, counts: dict[str, int], *, as_json: bool
) -> int:
    if info.status != "finished":
        with journal.lock(info.id):
            journal.set_status(info.id, "finished")
    out.print(f"run {info.id} is finished: nothing to send")
    report = run_ui.RunReport(info.id, "finished", summarize(counts), 0, 0, 0, 0.0)
    if as_json:
        run_ui.print_report(report, as_json=True)
    return report.exit_code


def _same_place(info: RunInfo, sandbox_flag: bool) -> bool:
    """A run resumes where it was made: the sandbox, or a real account, never a mix."""
    made_in_sandbox = bool(info.settings.get("sandbox"))
    if sandbox_flag and not made_in_sandbox:
        raise CommandError(
            f"run {info.id} was made against a Plivo account, not the sandbox: "
            "resume it without --sandbox"
        )
    return made_in_sandbox


def _same_account(info: RunInfo, auth_id: str, api_url: str) -> None:
    expected_id = info.settings.get("auth_id")
    if expected_id and expected_id != auth_id:
        raise CommandError(
            f"run {info.id} was made for account {expected_id}, but PLIVO_AUTH_ID is {auth_id}"
        )
    expected_url = info.settings.get("api_url")
    if expected_url and expected_url != api_url:
        raise CommandError(
            f"run {info.id} was made against {expected_url}, but PLIVO_API_URL points at {api_url}"
        )


def _find(journal: Journal, run_id: str | None) -> RunInfo | None:
    if run_id is None:
        return journal.latest_unfinished()
    info = journal.run(run_id)
    if info is None:
        raise CommandError(f"no run {run_id!r} in {journal.state_dir} (see `bulkops runs`)")
    return info
