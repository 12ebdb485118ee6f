"""Watching a run: confirmation, the live progress bar (or log lines), Ctrl-C, the final summary."""

from __future__ import annotations

import json
import signal
import sys
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio

from bulkops import logs
from bulkops.account import Account
from bulkops.cli import common
from bulkops.cli.common import err, out
from bulkops.errors import Refused
from bulkops.limits import FailureBudget
from bulkops.report.run_view import render_summary, summary_json
from bulkops.report.text import safe
from bulkops.run import execution
from bulkops.run.journal import Journal
from bulkops.run.outcome import RunReport
from bulkops.run.recheck import Recheck
from bulkops.run.runner import INTERRUPTED, Runner

if TYPE_CHECKING:  # the bar is drawn on a terminal only: --json and cron never load it
    from rich.progress import TaskID

    from bulkops.report.run_progress import RunProgress

log = logs.get_logger("bulkops.run")
LOG_EVERY = 5.0  # seconds between progress lines when there is no terminal
DRAIN = 10.0  # seconds a stopping run waits for requests in flight before it aborts them
TTY = "/dev/tty"  # the controlling terminal, whatever stdin and stdout were redirected to


async def confirm(question: str, *, yes: bool) -> None:
    """Go on only with --yes, or a "y" typed at a terminal; otherwise refuse (exit 3).

    The answer must come from a person: without a terminal on stdin (cron, CI, `yes |`) there is
    nobody to ask, so the refusal says to pass --yes.
    """
    if yes:
        return
    if not common.stdin_is_terminal():
        raise Refused(
            "cannot ask for confirmation: stdin is not a terminal (cron, CI, a pipe); "
            "pass --yes to go ahead without asking"
        )
    answer = await anyio.to_thread.run_sync(_ask, safe(question, limit=2000))
    if answer.strip().lower() not in ("y", "yes"):
        raise Refused("not confirmed")


def _ask(question: str) -> str:
    """Ask on the terminal itself, so that a piped stdout (`| tee log`) never swallows it."""
    try:
        # Two files: a terminal is not seekable, which a read-write text file would need.
        with (
            open(TTY, "w", encoding="utf-8") as screen,
            open(TTY, encoding="utf-8", errors="replace") as keyboard,
        ):
            screen.write(f"{question} [y/N] ")
            screen.flush()
            return keyboard.readline()
    except OSError:  # no controlling terminal after all: stderr still reaches a person
        err.file.write(f"{question} [y/N] ")
        err.file.flush()
        return sys.stdin.readline()


async def execute(
    journal: Journal,
    run: str | execution.NewRun,
    account: Account,
    *,
    max_failures: FailureBudget | None,
    live: bool,
    durable: bool = True,
    retry_failed: bool = False,
    checked: Recheck | None = None,
) -> RunReport:
    """Run `run` (an id, or a NewRun) with progress on screen; the first Ctrl-C drains, the second
    aborts."""
    watchers: Sequence[execution.Watcher] = (_signals, _bar if live else _log_lines)
    return await execution.execute(
        journal,
        run,
        account,
        max_failures=max_failures,
        watchers=watchers,
        retry_failed=retry_failed,
        durable=durable,
        checked=checked,
    )


async def _signals(runner: Runner, scope: anyio.CancelScope) -> None:
    """First Ctrl-C (or SIGTERM): drain for at most DRAIN seconds; the second: abort at once.

    An abort leaves the tasks in flight leased in the journal: resume looks at each first.
    """
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as received:
        async with anyio.create_task_group() as deadline:
            async for _ in received:
                if runner.stop_reason is None:
                    runner.request_stop(INTERRUPTED)
                    err.print(
                        f"stopping: letting requests in flight finish (at most {DRAIN:g} s; "
                        "Ctrl-C again to abort now)"
                    )
                    deadline.start_soon(_abort_after, DRAIN, scope)
                else:
                    scope.cancel()


async def _abort_after(seconds: float, scope: anyio.CancelScope) -> None:
    await anyio.sleep(seconds)
    err.print(f"stopping now: requests still waiting after {seconds:g} s are left to resume")
    scope.cancel()


async def _bar(runner: Runner, _scope: anyio.CancelScope) -> None:
    from bulkops.report.run_progress import RunProgress

    rate = CurrentRate()
    rate(runner.progress.requests, anyio.current_time())  # from the start: a rate at once
    with RunProgress(console=err, transient=False) as bar:
        task = bar.add_task("apply", total=runner.progress.total or None, **_fields(runner, rate))
        try:
            while True:
                _draw(bar, task, runner, rate)
                await anyio.sleep(0.2)
        finally:
            # The last frame shows the run as it ended, the same counts as the summary after it.
            _draw(bar, task, runner, rate)


def _draw(bar: RunProgress, task: TaskID, runner: Runner, rate: CurrentRate) -> None:
    p = runner.progress
    bar.update(task, total=p.total, completed=p.done, **_fields(runner, rate))


async def _log_lines(runner: Runner, _scope: anyio.CancelScope) -> None:
    rate = CurrentRate()
    rate(runner.progress.requests, anyio.current_time())
    try:
        while True:
            await anyio.sleep(LOG_EVERY)
            _log_progress(runner, rate)
    finally:
        _log_progress(runner, rate)  # the last line: where the run ended, as the summary says


def _log_progress(runner: Runner, rate: CurrentRate) -> None:
    p = runner.progress
    log.info("progress", done=p.done, total=p.total, requests=p.requests, **_fields(runner, rate))


class CurrentRate:
    """Requests per second over the last few seconds, not since the start of the run.

    The oldest sample kept is the newest one at least WINDOW old, so that samples taken
    WINDOW apart (the log lines) still measure over one interval instead of none.
    """

    WINDOW = 5.0

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def __call__(self, requests: int, now: float) -> float:
        self._samples.append((now, requests))
        while len(self._samples) > 1 and now - self._samples[1][0] >= self.WINDOW:
            self._samples.popleft()
        then, before = self._samples[0]
        return (requests - before) / (now - then) if now > then else 0.0


def _fields(runner: Runner, rate: CurrentRate) -> dict[str, Any]:
    p = runner.progress
    return {
        "rate": round(rate(p.requests, anyio.current_time()), 1),
        "retries": p.retries,
        "throttled": p.throttled,
        "failed": p.failed,
    }


def print_report(report: RunReport, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(summary_json(report), indent=2) + "\n")
    else:
        out.print(render_summary(report))
