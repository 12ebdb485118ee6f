"""Group commit in front of the journal, with a lease on the tasks about to start.

`started(seq)` must not return before a crash would leave `seq` reading as in flight. Committing
every start would cost a commit and a row write per task, so one commit instead leases a block of
`ahead` tasks beyond the newest start (see `journal.Lease`): workers whose task the lease already
covers go straight on, and those that need a new lease within the same moment share one commit.
The lease's low end follows the oldest task whose outcome is not committed yet, so a crash leaves
at most `ahead` never-sent tasks to check with a GET, besides those really in flight.

`finished` marks are queued and written with the next commit, or by `flush` at the latest: losing
them to a crash costs only a GET on resume. `close` writes the rest and releases the lease.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.lowlevel

from bulkops.run.journal import Batch, Lease, Mark

Writer = Callable[[Batch], None]
FINISH_BATCH = 256  # queued completion marks that force a commit of their own
LEASE_AHEAD = 64  # tasks leased beyond the newest start: one commit per this many tasks


class Recorder:
    def __init__(self, write: Writer, ahead: int = LEASE_AHEAD) -> None:
        if ahead < 0:
            raise ValueError(f"ahead must be 0 or more, got {ahead}")
        self._write = write
        self._ahead = ahead
        self._queue: list[Mark] = []
        self._open: set[int] = set()  # started, outcome not committed yet
        self._leased = 0  # the committed lease covers every seq below this one
        self._wanted = -1  # the highest seq waiting for a lease
        self._newest = -1  # the highest seq started so far
        self._commit_done: anyio.Event | None = None
        self._broken: BaseException | None = None
        self.commits = 0

    async def started(self, seq: int) -> None:
        """Record `seq` as in flight; return once that is committed."""
        self._open.add(seq)
        self._newest = max(self._newest, seq)
        while seq >= self._leased:
            self._wanted = max(self._wanted, seq)
            if self._commit_done is None:
                await self._commit()
            else:
                await self._commit_done.wait()
            if self._broken is not None:
                raise RuntimeError(
                    "the journal could not record the start of a task"
                ) from self._broken

    async def _commit(self) -> None:
        done = self._commit_done = anyio.Event()
        try:
            await anyio.lowlevel.checkpoint()  # let the other workers of this moment join
            self._commit_done = None
            self._flush(hi=self._wanted + 1 + self._ahead)
        except BaseException as exc:
            self._broken = exc
            raise
        finally:
            self._commit_done = None
            done.set()

    def finished(self, mark: Mark) -> None:
        self._queue.append(mark)
        if len(self._queue) >= FINISH_BATCH and self._commit_done is None:
            self.flush()

    def flush(self) -> None:
        """Write the queued marks now (the lease stays: requests may still be in flight)."""
        self._flush(hi=self._leased)

    def close(self) -> None:
        """Write the queued marks and release the lease: nothing is in flight any more."""
        batch, self._queue = self._queue, []
        self._write(Batch(batch, release=True))
        self.commits += 1
        self._open.clear()
        self._leased = 0

    def _flush(self, hi: int) -> None:
        batch, self._queue = self._queue, []
        if not batch and hi == self._leased:
            return
        # Outcomes in this batch commit with the lease, so their tasks need no cover any more.
        self._open.difference_update(mark.seq for mark in batch if mark.state != "inflight")
        # With nothing open, the next task to start comes after the newest one started: the
        # lease must still cover it, whatever this flush was for.
        lo = min(min(self._open, default=self._newest + 1), hi)
        self._write(Batch(batch, Lease(lo, hi)))
        self.commits += 1
        self._leased = hi
