"""`bulkops resume [RUN_ID]`: carry on with an unfinished run, re-checking what was in flight."""

from __future__ import annotations

import argparse

import anyio

from bulkops.cli import common, run_ui
from bulkops.cli.common import INVALID, OK, CommandError, out
from bulkops.connect import Target, connect
from bulkops.journal import Journal, RunInfo, summarize
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
    journal = Journal(args.state_dir)
    info = _find(journal, args.run_id)
    if info is None:
        out.print(f"no unfinished run in {args.state_dir}: nothing to resume")
        return OK
    if args.retry_failed:
        with journal.lock(info.id):
            journal.retry_failed(info.id)
    remaining = journal.counts(info.id)
    todo = remaining["pending"] + remaining["inflight"]
    if todo == 0:
        out.print(f"run {info.id} is finished: nothing to send")
        report = run_ui.RunReport(info.id, "finished", summarize(remaining), 0, 0, 0, 0.0)
        if args.json:
            run_ui.print_report(report, as_json=True)
        return report.exit_code
    settings = info.settings
    target = Target(
        rate=args.rate or settings.get("rate"),
        concurrency=args.concurrency or settings.get("concurrency") or 8,
        sandbox=args.sandbox or bool(settings.get("sandbox")),
        sandbox_numbers=settings.get("sandbox_numbers") or args.sandbox_numbers,
        max_retries=args.max_retries,
    )
    limit = settings.get("max_failures")
    max_failures = FailureLimit(**limit) if limit else None

    async def main() -> int:
        async with connect(target) as connection:
            expected = settings.get("auth_id")
            if not target.sandbox and expected and expected != connection.auth_id:
                raise CommandError(
                    f"run {info.id} was made for account {expected}, but PLIVO_AUTH_ID is "
                    f"{connection.auth_id}",
                    INVALID,
                )
            await run_ui.confirm(f"Resume run {info.id}: {todo} tasks left?", yes=args.yes)
            report = await run_ui.execute(
                journal,
                info.id,
                connection,
                concurrency=target.concurrency,
                max_failures=max_failures,
                live=not args.json and common.err.is_terminal,
            )
        run_ui.print_report(report, as_json=args.json)
        return report.exit_code

    return anyio.run(main)


def _find(journal: Journal, run_id: str | None) -> RunInfo | None:
    if run_id is None:
        return journal.latest_unfinished()
    info = journal.run(run_id)
    if info is None:
        raise CommandError(f"no run {run_id!r} in {journal.state_dir} (see `bulkops runs`)")
    return info
