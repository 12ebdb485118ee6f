"""Use since the plan, for the numbers a run is about to unrent because they were unused.

The evidence in a plan is as old as the plan. Right before each such unrent the runner asks
this watch whether the number was used since; the watch answers from a shared read of the call
and message records that is never older than `max_age` seconds, so a run of 10,000 unrents
costs a read every few seconds, not four requests per number (the Message list allows 20 a
minute). The reads themselves are `selection.usage.gather`'s, at its lowest cost.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Final

import anyio

from bulkops.pace.clock import now
from bulkops.pace.inflight import UNMEASURED, Allowance
from bulkops.selection.usage import OVERLAP, Seen, Source, TrafficReads, gather, latest
from bulkops.tasks.model import UsageCheck

MAX_AGE: Final = 10.0  # seconds a read of use may be old when an unrent relies on it


class UsageWatch:
    def __init__(
        self,
        check: UsageCheck,
        reads: TrafficReads,
        numbers: Iterable[tuple[str, str]],  # (number, rule) of the unrents to watch
        *,
        concurrency: int | Allowance = UNMEASURED,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = now,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        # From a little before the plan's reading: records can land in the lists late.
        self._since = check.since - OVERLAP
        self._reads = reads
        self._sources = {
            rule: tuple(Source.from_key(key) for key in keys)
            for rule, keys in check.sources.items()
        }
        self._pending: dict[Source, set[str]] = {}
        for number, rule in numbers:
            for source in self._sources.get(rule, ()):
                self._pending.setdefault(source, set()).add(number)
        self._seen: dict[Source, dict[str, Seen]] = {}
        self._concurrency = concurrency
        self._max_age = max_age
        self._clock = clock
        self._now = now
        self._read_at = -float("inf")
        self._lock = anyio.Lock()
        self.requests = 0

    def watches(self, rule: str) -> bool:
        return rule in self._sources

    async def used_since_plan(self, number: str, rule: str) -> datetime.datetime | None:
        """When `number` was used since the plan's evidence was read (None: not at all)."""
        await self._fresh()
        since = self._since
        readings = [self._seen.get(s, {}).get(number) for s in self._sources.get(rule, ())]
        used = latest(r.last for r in readings if r is not None and r.used_since(since))
        # A source is left unread only when an earlier one already showed the number in use.
        if used is None and None in readings:
            raise AssertionError(f"the watch holds no reading of {number}")
        return used

    def done(self, number: str) -> None:
        """`number` needs watching no more (unrented, or left alone)."""
        for numbers in self._pending.values():
            numbers.discard(number)

    async def _fresh(self) -> None:
        if self._clock() - self._read_at <= self._max_age:
            return
        async with self._lock:
            if self._clock() - self._read_at <= self._max_age:
                return  # another caller read while this one queued
            started = self._clock()
            wanted = {
                source: dict.fromkeys(numbers, self._since)
                for source, numbers in self._pending.items()
                if numbers
            }
            found, stats = await gather(
                wanted, self._reads, self._now(), self._seen, concurrency=self._concurrency
            )
            self.requests += stats.requests
            for source, numbers in found.items():
                self._seen.setdefault(source, {}).update(numbers)
            self._read_at = started
