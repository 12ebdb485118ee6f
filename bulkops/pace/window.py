"""A sliding-window limit: at most `requests` in any `period` seconds, as Plivo counts them.

A token bucket would not do for the Message list's 20 a minute: refilled one token per 3 s after
a burst of 20, it sends the 21st request 3 s later, inside the same minute. The window remembers
when each of the last `requests` sends went out and waits for the oldest to leave the window,
plus `margin` for the send and the server's arrival to differ by the network's jitter.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import anyio


class SlidingWindow:
    def __init__(
        self,
        requests: int,
        period: float,
        *,
        margin: float = 1.0,
        clock: Callable[[], float] = anyio.current_time,
    ) -> None:
        if requests < 1 or period <= 0 or margin < 0:
            raise ValueError(f"not a window: {requests} requests per {period} s (+{margin} s)")
        self.requests = requests
        self.period = period + margin
        self._clock = clock
        self._sent: deque[float] = deque()
        self._resume_at = 0.0
        self._lock = anyio.Lock()

    @property
    def spacing(self) -> float:
        """The mean seconds between requests when the window is the bottleneck."""
        return self.period / self.requests

    async def wait(self) -> None:
        """Return when one more request fits the window; callers go one at a time, in order."""
        async with self._lock:
            # A loop, not an Event: a pause may move the moment further out while we sleep.
            while (delay := self.delay()) > 0:  # noqa: ASYNC110
                await anyio.sleep(delay)
            self._sent.append(self._clock())
            if len(self._sent) > self.requests:
                self._sent.popleft()

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` (the server said 429 all the same)."""
        self._resume_at = max(self._resume_at, self._clock() + max(0.0, seconds))

    def delay(self) -> float:
        """Seconds until one more request fits the window (0: now)."""
        now = self._clock()
        delay = self._resume_at - now
        if len(self._sent) >= self.requests:
            delay = max(delay, self._sent[0] + self.period - now)
        return delay
