"""Executing a journaled run: check what was in flight, send what is left, record every answer.

The runner knows the client and the journal; the pool and the throttle it drives know neither.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import anyio
import structlog

from bulkops.client import AuthenticationError, NotFoundError, PlivoClient, PlivoError
from bulkops.execute import retry
from bulkops.execute.pool import run_pool
from bulkops.execute.recorder import Recorder
from bulkops.execute.throttle import Throttle
from bulkops.journal import Batch, Journal, Mark, TaskRow
from bulkops.numbers import WRITE_ONLY_FIELDS, NumberRecord

log = structlog.get_logger("bulkops.run")

RECONCILE_CONCURRENCY = 8


class FatalRunError(Exception):
    """Nothing else in this run can succeed (bad credentials); the message says why."""


@dataclass(frozen=True)
class FailureLimit:
    """`--max-failures`: a count, or a percentage of the tasks to send."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> FailureLimit:
        text = text.strip()
        try:
            if text.endswith("%"):
                percent = float(text[:-1])
                if not 0 < percent <= 100:
                    raise ValueError
                return cls(percent=percent)
            count = int(text)
            if count < 0:
                raise ValueError
            return cls(count=count)
        except ValueError:
            raise ValueError(
                f"max failures must be a count (e.g. 10) or a percentage (e.g. 5%), got {text!r}"
            ) from None

    def allowed(self, total: int) -> int | None:
        if self.count is not None:
            return self.count
        if self.percent is not None:
            return math.floor(total * self.percent / 100)
        return None


@dataclass
class Progress:
    """Live counters the CLI shows; one instance per execution."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    started_at: float = field(default_factory=anyio.current_time)

    @property
    def done(self) -> int:
        return self.succeeded + self.failed


class Runner:
    def __init__(
        self,
        journal: Journal,
        run_id: str,
        client: PlivoClient,
        throttle: Throttle,
        *,
        concurrency: int,
        max_failures: FailureLimit | None = None,
        policy: retry.RetryPolicy | None = None,
        durable: bool = True,
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.client = client
        self.throttle = throttle
        self.concurrency = concurrency
        self.max_failures = max_failures or FailureLimit()
        self.policy = policy or retry.RetryPolicy()
        # durable=False stubs the commits out: only the checkpoint benchmark uses it.
        self.recorder = Recorder(self._write if durable else lambda marks: None)
        self.progress = Progress()
        self.stop_reason: str | None = None
        # Tasks a dead process may have sent whose outcome the start-up check could not confirm.
        self._suspects: set[int] = set()

    def request_stop(self, reason: str) -> None:
        """Start no new task; in-flight ones finish and are recorded."""
        self.stop_reason = self.stop_reason or reason

    async def execute(self) -> str:
        """Run every unfinished task; return the run's new status."""
        await self._reconcile_inflight()
        todo = self.journal.counts(self.run_id)
        self.progress = Progress(total=todo["pending"] + todo["inflight"])
        allowed = self.max_failures.allowed(self.progress.total)
        try:
            await run_pool(
                self._unfinished(),
                lambda row: self._perform(row, allowed),
                concurrency=self.concurrency,
                stopping=lambda: self.stop_reason is not None,
            )
        except BaseException as exc:
            self.recorder.flush()  # cancelled requests may have been sent: their lease stays
            if _raised(exc, FatalRunError):
                self.journal.set_status(self.run_id, "stopped")  # resumable once fixed
            raise
        self.recorder.close()  # every request has its answer recorded: nothing is in flight
        return self._conclude()

    def _conclude(self) -> str:
        if self.stop_reason == "interrupted":
            status = "interrupted"
        elif self.stop_reason is not None:
            # Tasks never started stay pending (reported as skipped): `resume` can still run
            # them once the cause of the failures is fixed.
            status = "stopped"
        else:
            status = "finished"
        self.journal.set_status(self.run_id, status)
        return status

    def _unfinished(self) -> Iterator[TaskRow]:
        return self.journal.iter_tasks(self.run_id, ("pending", "inflight"))

    async def _perform(self, row: TaskRow, allowed_failures: int | None) -> None:
        await self.recorder.started(row.seq)
        # Not row.state: it reads "inflight" inside this run's own lease, too.
        attempts = retry.Attempts(outcome_unknown=row.seq in self._suspects)
        try:
            await retry.call(lambda: self._send(row), self.policy, self.throttle, attempts)
            mark = Mark(row.seq, "succeeded", attempts.sent)
        except NotFoundError as error:
            gone = row.action == "unrent" and attempts.outcome_unknown
            mark = Mark(row.seq, "succeeded" if gone else "failed", attempts.sent, error.message)
        except AuthenticationError as error:
            # An earlier try may have reached Plivo: then resume must look before re-sending.
            state = "inflight" if attempts.outcome_unknown else "pending"
            self.recorder.finished(Mark(row.seq, state, attempts.sent))
            self.request_stop("authentication failed")
            raise FatalRunError(str(error)) from None
        except PlivoError as error:
            mark = Mark(row.seq, "failed", attempts.sent, str(error))
        self._count(row, mark, attempts)
        self.recorder.finished(mark)
        if allowed_failures is not None and self.progress.failed > allowed_failures:
            self.request_stop("failure threshold")

    async def _send(self, row: TaskRow) -> None:
        if row.action == "unrent":
            await self.client.unrent_number(row.number)
        else:
            await self.client.update_number(row.number, row.body)

    def _count(self, row: TaskRow, mark: Mark, attempts: retry.Attempts) -> None:
        progress = self.progress
        progress.requests += attempts.sent
        progress.retries += attempts.sent - 1
        progress.throttled += attempts.throttled
        if mark.state == "succeeded":
            progress.succeeded += 1
        else:
            progress.failed += 1
            log.warning("task_failed", number=row.number, action=row.action, error=mark.error)

    def _write(self, batch: Batch) -> None:
        self.journal.record(self.run_id, batch)

    async def _reconcile_inflight(self) -> None:
        """A task left in flight by a dead process may or may not have reached Plivo: look."""
        rows = list(self.journal.tasks(self.run_id, ("inflight",)))
        if not rows:
            return
        log.info("checking_inflight", count=len(rows))
        marks: list[Mark] = []

        async def check(row: TaskRow) -> None:
            if await self._already_done(row):
                marks.append(Mark(row.seq, "succeeded"))

        await run_pool(iter(rows), check, concurrency=RECONCILE_CONCURRENCY, stopping=lambda: False)
        self.journal.record(self.run_id, marks)
        self._suspects = {row.seq for row in rows} - {mark.seq for mark in marks}

    async def _already_done(self, row: TaskRow) -> bool:
        try:
            live = await retry.call(
                lambda: self.client.get_number(row.number), self.policy, self.throttle
            )
        except NotFoundError:
            return row.action == "unrent"
        except AuthenticationError as error:
            raise FatalRunError(str(error)) from None
        except PlivoError:
            return False  # cannot tell: the task runs again, which is safe for both actions
        return row.action == "update" and _in_desired_state(row, live)


def _in_desired_state(row: TaskRow, live: NumberRecord) -> bool:
    return all(
        live.observed(change["field"]) == change["after"]
        for change in row.changes
        if change["field"] not in WRITE_ONLY_FIELDS
    )


def _raised(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `exc` is, or (from a task group) contains, an exception of type `kind`."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(kind) is not None
    return isinstance(exc, kind)
