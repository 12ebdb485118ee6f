"""Executing a journaled run's tasks: check what was in flight, send what is left, record answers.

The runner knows the account and the journal; the pool and the throttle it drives know neither.
It never writes the run's status: `execution` does, from what the runner reports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from bulkops import logs
from bulkops.account import Account
from bulkops.client import AuthenticationError, NotFoundError, PlivoError
from bulkops.errors import Failed, first_error
from bulkops.limits import FailureBudget
from bulkops.pace import retry
from bulkops.pace.breaker import OutageError
from bulkops.pace.clock import now
from bulkops.pace.pool import run_pool
from bulkops.run.journal import Batch, Entry, Journal, Mark, TaskState
from bulkops.run.recorder import Recorder
from bulkops.run.usage_watch import UsageWatch
from bulkops.tasks.drift import drift

T = TypeVar("T")

log = logs.get_logger("bulkops.run")

INTERRUPTED = "interrupted"
GONE = "already unrented (not by this run)"
FAILURE_THRESHOLD = "failure threshold"


class RunStopped(Failed):
    """Nothing else in this run can succeed (bad credentials); the run stays resumable."""


@dataclass
class Progress:
    """Live counters the CLI shows; one instance per execution."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    left_alone: int = 0  # stale or gone when checked right before an unrent
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    started_at: float = field(default_factory=now)

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.left_alone


class Runner:
    def __init__(
        self,
        journal: Journal,
        run_id: str,
        account: Account,
        *,
        max_failures: FailureBudget | None = None,
        durable: bool = True,
        suspects: frozenset[int] = frozenset(),
        usage: UsageWatch | None = None,
        todo: Iterator[Entry] | None = None,
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.account = account
        self.max_failures = max_failures
        # durable=False stubs the commits out: only the checkpoint benchmark uses it.
        self.recorder = Recorder(self._write if durable else lambda marks: None)
        self.progress = Progress()
        self.stop_reason: str | None = None
        # Tasks a dead process may have sent whose outcome the re-check could not confirm.
        self._suspects = suspects
        self._usage = usage
        # A new run's tasks, as just written; None: what the journal says is still to do.
        self._todo = todo

    def request_stop(self, reason: str) -> None:
        """Start no new task; in-flight ones finish and are recorded."""
        self.stop_reason = self.stop_reason or reason

    async def execute(self) -> str | None:
        """Run every unfinished task; return why the run stopped early, or None if it did not."""
        try:
            todo = self.journal.counts(self.run_id)
            self.progress = Progress(total=todo["pending"] + todo["inflight"])
            await run_pool(
                self._unfinished(),
                self._perform,
                concurrency=self.account.inflight,
                stopping=lambda: self.stop_reason is not None,
            )
        except BaseException as exc:
            self.recorder.flush()  # cancelled requests may have been sent: their lease stays
            stopped = first_error(exc)
            if not isinstance(stopped, RunStopped):
                raise
            self.request_stop(str(stopped))
            return self.stop_reason
        self.recorder.close()  # every request has its answer recorded: nothing is in flight
        return self.stop_reason

    def _allowed_failures(self) -> int | None:
        if self.max_failures is None:
            return None
        return self.max_failures.allowed(self.progress.total)

    def _unfinished(self) -> Iterator[Entry]:
        if self._todo is not None:
            return self._todo
        return self.journal.iter_entries(self.run_id, ("pending", "inflight"))

    async def _perform(self, entry: Entry) -> None:
        await self.recorder.started(entry.seq)
        # Not entry.state: it reads "inflight" inside this run's own lease, too.
        attempts = retry.Attempts(outcome_unknown=entry.seq in self._suspects)
        try:
            mark = await self._attempt(entry, attempts)
        except (AuthenticationError, OutageError) as error:
            # Not this task's failure: it stays to do. If an earlier try may have reached
            # Plivo, it reads in flight, so that resume looks before sending it again.
            left: TaskState = "inflight" if attempts.outcome_unknown else "pending"
            self.recorder.finished(Mark(entry.seq, left, attempts.sent))
            raise RunStopped(str(error)) from None
        self._count(entry, mark, attempts)
        self.recorder.finished(mark)
        allowed = self._allowed_failures()
        if allowed is not None and self.progress.failed > allowed:
            self.request_stop(FAILURE_THRESHOLD)

    async def _attempt(self, entry: Entry, attempts: retry.Attempts) -> Mark:
        """Send the task (an unrent only after a fresh look); its outcome as a journal mark."""
        task = entry.task
        try:
            if task.action == "unrent":
                left_alone = await self._look_before_unrent(entry, attempts)
                if left_alone is not None:
                    return left_alone
            await self._retried(lambda: self._send(entry), attempts)
        except NotFoundError as error:
            if task.action == "update":
                return Mark(entry.seq, "failed", attempts.sent, error.message)
            # Gone: ours if an earlier try may have reached Plivo, someone else's otherwise.
            ours = attempts.outcome_unknown
            state: TaskState = "succeeded" if ours else "gone"
            return Mark(entry.seq, state, attempts.sent, None if ours else GONE)
        except (AuthenticationError, OutageError):
            raise
        except PlivoError as error:
            return Mark(entry.seq, "failed", attempts.sent, str(error))
        return Mark(entry.seq, "succeeded", attempts.sent)

    async def _look_before_unrent(self, entry: Entry, attempts: retry.Attempts) -> Mark | None:
        """An unrent cannot be undone: send it only if the number is still as planned.

        Returns the stale mark if it changed since; NotFoundError if it is gone already.
        """
        number = entry.task.number
        live = await self._retried(lambda: self.account.client.get_number(number), attempts)
        drifted = drift(entry.task, live)
        watch = self._usage
        if drifted:
            if watch is not None:
                watch.done(number)
            reason = "changed since planned: " + ", ".join(drifted) + "; not unrented"
            return Mark(entry.seq, "stale", attempts.sent, reason)
        if watch is None or not watch.watches(entry.task.rule):
            return None
        try:
            used = await watch.used_since_plan(number, entry.task.rule)
        except NotFoundError as error:
            # Not the number's 404 (that one its GET just ruled out): the usage read's.
            return Mark(entry.seq, "failed", attempts.sent, f"usage not read: {error}")
        watch.done(number)
        if used is None:
            return None
        reason = f"used since planned (at {used:%Y-%m-%d %H:%M:%S} UTC); not unrented"
        return Mark(entry.seq, "stale", attempts.sent, reason)

    async def _retried(self, op: Callable[[], Awaitable[T]], attempts: retry.Attempts) -> T:
        attempts.requests += 1  # the look before an unrent is a request, not a retry
        account = self.account
        return await retry.call(op, account.policy, account.throttle, attempts, account.breaker)

    async def _send(self, entry: Entry) -> None:
        task, client = entry.task, self.account.client
        if task.action == "unrent":
            await client.unrent_number(task.number)
        else:
            await client.update_number(task.number, dict(task.body))

    def _count(self, entry: Entry, mark: Mark, attempts: retry.Attempts) -> None:
        progress = self.progress
        progress.requests += attempts.sent
        progress.retries += attempts.sent - max(1, attempts.requests)
        progress.throttled += attempts.throttled
        if mark.state == "succeeded":
            progress.succeeded += 1
        elif mark.state in ("stale", "gone"):
            progress.left_alone += 1
            log.info("task_left_alone", number=entry.task.number, reason=mark.error)
        else:
            progress.failed += 1
            task = entry.task
            log.warning("task_failed", number=task.number, action=task.action, error=mark.error)

    def _write(self, batch: Batch) -> None:
        self.journal.record(self.run_id, batch)
