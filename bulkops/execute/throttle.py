"""One throttle per run: every request of the run, listing included, waits on it.

Plivo counts requests in a window (300 per 5 s). A leaky bucket with a large capacity would let
a burst of `capacity` requests through on top of the steady rate, which trips a sliding window,
so the bucket here is small: the steady rate does the work and the burst absorbs jitter.
After a 429 every caller pauses together until the pause ends.
"""

from __future__ import annotations

import math

import anyio
from aiolimiter import AsyncLimiter

# Plivo: 300 requests per 5 s. 59/s with a burst of 3 stays at most 298 in any 5 s window.
PLIVO_LIMIT_PER_SECOND = 60.0
DEFAULT_RATE = 59.0
DEFAULT_BURST = 3


class Throttle:
    """A shared rate limiter plus a shared pause that a 429 answer starts."""

    def __init__(self, rate: float | None = DEFAULT_RATE, burst: int = DEFAULT_BURST) -> None:
        if rate is not None and (not math.isfinite(rate) or rate <= 0):
            raise ValueError(f"rate must be a positive number of requests per second, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.rate = rate
        # aiolimiter's AsyncLimiter(n, period) is a bucket of n that drains n per period.
        self._limiter = None if rate is None else AsyncLimiter(burst, burst / rate)
        self._resume_at = 0.0
        self.pauses = 0

    async def wait(self) -> None:
        """Return when the caller may send one request."""
        await self._sleep_through_pause()
        if self._limiter is not None:
            await self._limiter.acquire()
        # A 429 may have started a pause while we queued for the bucket.
        await self._sleep_through_pause()

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` from now (a longer pause already running wins)."""
        resume_at = anyio.current_time() + max(0.0, seconds)
        if resume_at > self._resume_at:
            self._resume_at = resume_at
            self.pauses += 1

    async def _sleep_through_pause(self) -> None:
        # A loop, not an Event: another 429 may push the end of the pause further out.
        while (delay := self._resume_at - anyio.current_time()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)
