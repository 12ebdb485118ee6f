"""One throttle per run: every request of the run, listing included, waits on it.

Plivo counts requests in a window (300 per 5 s). A leaky bucket with a large capacity would let
a burst of `capacity` requests through on top of the steady rate, which trips a sliding window,
so the bucket here is small: the steady rate does the work and the burst absorbs jitter.

After a 429 every caller pauses together. When 429s are more than a sliver of recent requests,
the rate also backs off (multiplicatively), then creeps back up to the configured rate
(additively): the budget is per account, so other scripts on the same account may be spending
part of it, and a fixed rate would keep tripping the limit. The odd 429 at the edge of the
server's window (a rate set right at the limit) only pauses.

Plivo counts a request when it arrives, and the network's jitter bunches arrivals of evenly paced
sends: while round trips vary widely, the rate is held to what still fits the account's window
(`pace.jitter`), a little under the configured one. A rate set above Plivo's default limit is
taken to be the account's own (Plivo raises it on request), and its window is measured by it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import anyio

from bulkops import logs
from bulkops.limits import DEFAULT_RATE, PLIVO_PERIOD, PLIVO_RATE
from bulkops.pace.bucket import Bucket
from bulkops.pace.clock import now
from bulkops.pace.jitter import fitting_rate
from bulkops.pace.roundtrips import RoundTrips

log = logs.get_logger("bulkops.throttle")

# With the default rate (limits.DEFAULT_RATE) a burst of 3 stays at most 298 in any 5 s window.
DEFAULT_BURST = 3
BACKOFF_FACTOR = 0.75  # rate after a 429, relative to the rate that met it
RECOVERY_STEP = 0.05  # of the configured rate, regained every RECOVERY_INTERVAL without a 429
RECOVERY_INTERVAL = 1.0
MIN_RATE = 0.5
RECENT = 5.0  # seconds of history that decide whether 429s mean "too fast"
TOO_FAST = 0.02  # share of recent requests answered 429 above which the rate backs off
SETTLE = 1.0  # seconds a slow-down is given to show its effect before the next one
JITTER_INTERVAL = 0.5  # seconds between looks at how much round trips vary
JITTER_STEP = 0.002  # a change of the fitting rate smaller than this share is not worth a retime
JITTER_REPORT = 0.01  # a change of the held rate by this share is logged


class Throttle:
    """A shared rate limiter plus a shared pause that a 429 answer starts."""

    def __init__(
        self,
        rate: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = now,
        round_trips: RoundTrips | None = None,
    ) -> None:
        if rate is not None and (not math.isfinite(rate) or rate <= 0):
            raise ValueError(f"rate must be a positive number of requests per second, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.rate = rate  # the configured ceiling
        self.current_rate = rate  # the ceiling after 429s slowed it down
        self.jitter_rate = math.inf  # what still fits the account's window at the recent jitter
        self._burst = burst
        self._clock = clock
        self._round_trips = round_trips
        self._jitter_seen_at = -math.inf
        self._jitter_reported = rate or math.inf  # the hold -v last told of (at first: none)
        self._limiter = None if rate is None else Bucket(rate, burst)
        self._resume_at = 0.0
        self._changed_at = 0.0
        self._drain_burst = False
        self._slowed_at = -math.inf
        self._sent: deque[float] = deque()
        self._throttled: deque[float] = deque()
        self.pauses = 0
        self.granted = 0  # requests let through so far: every request of the run, retries too

    async def wait(self) -> None:
        """Return when the caller may send one request."""
        while True:
            await self._sleep_through_pause()
            self._recover()
            self._follow_jitter()
            if self._limiter is None:
                self.granted += 1
                return
            # The bucket filled up during a pause: the first caller after it takes the whole
            # burst, so requests resume at the steady rate instead of all at once.
            amount, self._drain_burst = (self._burst if self._drain_burst else 1), False
            bucket = self._limiter
            delay = bucket.book(amount)
            booking = bucket.booked
            if delay > 0:
                try:
                    await anyio.sleep(delay)
                except BaseException:  # cancelled while waiting: the next caller may go sooner
                    bucket.give_back(booking, amount)
                    raise
            if self._clock() >= self._resume_at:
                break
            # A 429 started a pause while we queued: queue again after it rather than fire
            # together with every other caller the moment it ends.
        self.granted += 1
        if self.rate is not None:
            self._remember(self._sent, self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` from now and slow down (a 429 was met)."""
        now = self._clock()
        self._remember(self._throttled, now)
        # Answers to requests sent before the last slow-down took effect don't compound it.
        too_fast = len(self._throttled) > TOO_FAST * len(self._sent)
        if too_fast and now >= self._resume_at and now - self._slowed_at >= SETTLE:
            self._set_rate(max(MIN_RATE, (self.paced_rate or 0) * BACKOFF_FACTOR), now)
        resume_at = now + max(0.0, seconds)
        if resume_at > self._resume_at:
            self._resume_at = resume_at
            self._drain_burst = True
            self.pauses += 1

    @staticmethod
    def _remember(times: deque[float], now: float) -> None:
        times.append(now)
        while times[0] < now - RECENT:
            times.popleft()

    def _recover(self) -> None:
        if self.rate is None or self.current_rate is None or self.current_rate >= self.rate:
            return
        now = self._clock()
        if now - self._changed_at >= RECOVERY_INTERVAL:
            self._set_rate(min(self.rate, self.current_rate + self.rate * RECOVERY_STEP), now)

    def _set_rate(self, rate: float, now: float) -> None:
        if self.rate is None:
            return
        if rate < (self.current_rate or 0):
            log.warning("slowing_down", after="repeated 429s", rate=round(rate, 2))
            self._slowed_at = now
        self.current_rate = rate
        self._retime()
        self._changed_at = now

    @property
    def paced_rate(self) -> float | None:
        """The rate requests go out at now: the ceiling after 429s, held to what fits the jitter."""
        if self.current_rate is None:
            return None
        return min(self.current_rate, self.jitter_rate)

    def _follow_jitter(self) -> None:
        if self._round_trips is None or self.rate is None:
            return
        now = self._clock()
        if now - self._jitter_seen_at < JITTER_INTERVAL:
            return
        self._jitter_seen_at = now
        window = max(PLIVO_RATE, self.rate) * PLIVO_PERIOD
        fitting = fitting_rate(window, PLIVO_PERIOD, self._round_trips.spread)
        if abs(fitting - self.jitter_rate) <= JITTER_STEP * fitting:
            return
        self.jitter_rate = fitting
        # Said once per change worth noting, its end too, so that -v explains a rate below the
        # one asked for.
        held = min(fitting, self.rate)
        if abs(held - self._jitter_reported) > JITTER_REPORT * held:
            self._jitter_reported = held
            log.info(
                "pacing_for_jitter",
                rate=round(held, 2),
                round_trip_spread_ms=round(1000 * self._round_trips.spread),
            )
        self._retime()

    def _retime(self) -> None:
        rate = self.paced_rate
        if self._limiter is not None and rate is not None:
            self._limiter.retime(rate)

    async def _sleep_through_pause(self) -> None:
        # A loop, not an Event: another 429 may push the end of the pause further out.
        while (delay := self._resume_at - self._clock()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)
