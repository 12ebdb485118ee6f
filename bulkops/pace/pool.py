"""A pool of workers pulling jobs from one iterator: memory stays flat for any job count.

How many jobs run at once follows an `Allowance` (a fixed count, or `InFlight`: the account's
rate x the recent round trip). `ceiling` workers wait on one shared set of slots whose size is
re-read after every job; a worker takes its job from the iterator only once it holds a slot, so
nothing is started (nor leased in the journal) before it can be sent.

Jobs handle their own failures (a failed number is data, not an exception). Only a run-level
fault raised by `handle` (bad credentials, a broken journal) cancels the pool. `stopping` is
checked before each job is taken, so a stop lets in-flight jobs finish.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import anyio

from bulkops.pace.inflight import Allowance, Fixed

T = TypeVar("T")


async def run_pool(
    jobs: Iterator[T],
    handle: Callable[[T], Awaitable[None]],
    *,
    concurrency: int | Allowance,
    stopping: Callable[[], bool],
) -> None:
    allowance = Fixed(concurrency) if isinstance(concurrency, int) else concurrency
    slots = _Slots(allowance)

    async def worker() -> None:
        while not stopping():
            await slots.take()
            try:
                if stopping():  # asked to stop while this worker waited for its slot
                    return
                job = next(jobs, None)
                if job is None:
                    return
                await handle(job)
            finally:
                slots.give()

    async with anyio.create_task_group() as group:
        for _ in range(allowance.ceiling):
            group.start_soon(worker)


class _Slots:
    """Jobs running at once, held to what the allowance says whenever one is about to start.

    Not anyio.CapacityLimiter: its acquire and release each yield to the event loop, a cost paid
    per request; a free slot here costs no yield at all. A smaller allowance lets running jobs
    finish and holds new ones back until they fit.
    """

    def __init__(self, allowance: Allowance) -> None:
        self._allowance = allowance
        self.busy = 0
        self._waiting = 0
        self._freed = anyio.Event()

    async def take(self) -> None:
        while self.busy >= self._allowance.allowed():
            self._waiting += 1
            try:
                await self._freed.wait()
            finally:
                self._waiting -= 1
        self.busy += 1

    def give(self) -> None:
        self.busy -= 1
        if self._waiting:  # wake the waiters to look again; an Event fires once, so a new one
            self._freed.set()
            self._freed = anyio.Event()
