"""Watching a run: the live progress bar (or log lines), Ctrl-C handling, the final summary."""

from __future__ import annotations

import json
import signal
import sys
from collections import deque
from dataclasses import dataclass
from typing import Any

import anyio
import structlog
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bulkops.cli import common
from bulkops.cli.common import FAILED, INTERRUPTED, OK, REFUSED, CommandError, err, out
from bulkops.connect import Connection
from bulkops.journal import Journal, summarize
from bulkops.runner import FailureLimit, Runner

log = structlog.get_logger("bulkops.run")
LOG_EVERY = 5.0  # seconds between progress lines when there is no terminal


@dataclass(frozen=True)
class RunReport:
    run_id: str
    status: str
    counts: dict[str, int]
    requests: int
    retries: int
    throttled: int
    elapsed: float

    @property
    def exit_code(self) -> int:
        if self.status == "interrupted":
            return INTERRUPTED
        # A stale task (drifted since review) was not carried out: not a success either.
        if self.status == "stopped" or self.counts["failed"] or self.counts["stale"]:
            return FAILED
        return OK

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "counts": self.counts,
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "elapsed_seconds": round(self.elapsed, 3),
            "requests_per_second": round(self.requests / self.elapsed, 2) if self.elapsed else None,
            "exit_code": self.exit_code,
        }


async def confirm(question: str, *, yes: bool) -> None:
    """Go on only with --yes, or a "y" typed at a terminal; otherwise refuse (exit 3)."""
    if yes:
        return
    if not common.stdin_is_terminal():
        raise CommandError(
            "no terminal to confirm on: pass --yes to go ahead without asking", REFUSED
        )
    answer = await anyio.to_thread.run_sync(lambda: input(f"{question} [y/N] "))
    if answer.strip().lower() not in ("y", "yes"):
        raise CommandError("not confirmed", REFUSED)


async def execute(
    journal: Journal,
    run_id: str,
    connection: Connection,
    *,
    concurrency: int,
    max_failures: FailureLimit | None,
    live: bool,
    durable: bool = True,
    retry_failed: bool = False,
) -> RunReport:
    """Run `run_id` to its end (or a stop) under its lock, showing progress."""
    with journal.lock(run_id):
        if retry_failed:
            journal.retry_failed(run_id)
        journal.set_status(run_id, "running")
        runner = Runner(
            journal,
            run_id,
            connection.client,
            connection.throttle,
            concurrency=concurrency,
            max_failures=max_failures,
            policy=connection.policy,
            durable=durable,
        )
        return await watch(runner, journal, live=live)


async def watch(runner: Runner, journal: Journal, *, live: bool) -> RunReport:
    """Execute the run while showing progress; the first Ctrl-C drains, the second aborts."""
    started = anyio.current_time()
    status = "interrupted"  # what a second Ctrl-C, cancelling execute() midway, leaves
    async with anyio.create_task_group() as group:
        group.start_soon(_signals, runner, group.cancel_scope)
        group.start_soon(_bar if live else _log_lines, runner)
        try:
            status = await runner.execute()
        finally:
            group.cancel_scope.cancel()
    if status == "interrupted":  # also when a second Ctrl-C cut execute() short
        journal.set_status(runner.run_id, "interrupted")
    progress = runner.progress
    return RunReport(
        run_id=runner.run_id,
        status=status,
        counts=summarize(journal.counts(runner.run_id)),
        requests=progress.requests,
        retries=progress.retries,
        throttled=progress.throttled,
        elapsed=anyio.current_time() - started,
    )


async def _signals(runner: Runner, scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as received:
        async for _ in received:
            if runner.stop_reason is None:
                runner.request_stop("interrupted")
                err.print("stopping: letting requests in flight finish (Ctrl-C again to abort)")
            else:
                scope.cancel()


async def _bar(runner: Runner) -> None:
    columns = (
        TextColumn("[bold]applying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>6.1f} req/s"),
        TextColumn("retries {task.fields[retries]}  429s {task.fields[throttled]}"),
        TextColumn("[red]failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    rate = _CurrentRate()
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("apply", total=runner.progress.total or None, **_fields(runner, rate))
        while True:
            p = runner.progress
            bar.update(task, total=p.total, completed=p.done, **_fields(runner, rate))
            await anyio.sleep(0.2)


async def _log_lines(runner: Runner) -> None:
    rate = _CurrentRate()
    while True:
        await anyio.sleep(LOG_EVERY)
        p = runner.progress
        log.info("progress", done=p.done, total=p.total, **_fields(runner, rate))


class _CurrentRate:
    """Requests per second over the last few seconds, not since the start of the run."""

    WINDOW = 5.0

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def __call__(self, requests: int) -> float:
        now = anyio.current_time()
        self._samples.append((now, requests))
        while now - self._samples[0][0] > self.WINDOW:
            self._samples.popleft()
        then, before = self._samples[0]
        return (requests - before) / (now - then) if now > then else 0.0


def _fields(runner: Runner, rate: _CurrentRate) -> dict[str, Any]:
    p = runner.progress
    return {
        "rate": rate(p.requests),
        "retries": p.retries,
        "throttled": p.throttled,
        "failed": p.failed,
    }


def print_report(report: RunReport, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report.as_json(), indent=2) + "\n")
        return
    c = report.counts
    out.print(
        f"run {report.run_id} {report.status}: {c['succeeded']} succeeded, {c['failed']} failed, "
        f"{c['unchanged']} unchanged, {c['stale']} stale, {c['skipped']} skipped "
        f"(of {c['planned']} planned)"
    )
    out.print(
        f"{report.requests} requests in {report.elapsed:.1f}s, {report.retries} retries, "
        f"{report.throttled} rate-limited (429)"
    )
    if report.status == "interrupted":
        out.print(f"resume with: bulkops resume {report.run_id}")
    if c["failed"] or c["stale"]:
        out.print(f"see which numbers with: bulkops show {report.run_id}")
