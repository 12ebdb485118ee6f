"""The circuit breaker: when Plivo stops answering, stop sending, probe, and give up in bounds.

A dead API would otherwise have every task retry its own way to failure, one at a time, for half
an hour. When requests for different numbers keep failing with no usable answer (5xx, dropped
connections, timeouts), the breaker opens: no request goes out but one probe, at a growing
interval; the first answer closes it and the run carries on. If Plivo does not answer within
`give_up_after` seconds, or gives nothing but 429s for that long, every waiting request gets
OutageError: the run stops, resumable, with the tasks it could not send still pending.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import anyio

from bulkops import logs
from bulkops.errors import Failed
from bulkops.pace.clock import now

log = logs.get_logger("bulkops.breaker")

THRESHOLD: Final = 10  # failures in a row, with no answer in between, …
DISTINCT: Final = 3  # … of at least this many different requests (not one bad number) …
WINDOW: Final = 10.0  # … within this many seconds open the breaker
DEFAULT_GIVE_UP: Final = 60.0
FIRST_PROBE: Final = 0.5
MAX_PROBE_INTERVAL: Final = 8.0
_TICK: Final = 0.05


class OutageError(Failed):
    """Plivo did not answer within the bound: the run stops and stays resumable."""


class Breaker:
    def __init__(
        self,
        give_up_after: float = DEFAULT_GIVE_UP,
        *,
        threshold: int = THRESHOLD,
        window: float = WINDOW,
        clock: Callable[[], float] = now,
    ) -> None:
        if not give_up_after > 0:
            raise ValueError(f"give_up_after must be positive seconds, got {give_up_after!r}")
        self.give_up_after = give_up_after
        self._threshold = threshold
        self._window = window
        self._clock = clock
        self._streak: list[tuple[str, float]] = []  # (request, when) failed since the last answer
        self._opened_at: float | None = None
        self._next_probe = 0.0
        self._interval = FIRST_PROBE
        self._probing = False
        self._last_answer: float | None = None
        self._unanswered_since: float | None = None
        self.openings = 0

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def answered(self) -> None:
        """A request got an answer (any answer but 429 or a 5xx): Plivo is there."""
        self._streak.clear()
        self._last_answer = self._clock()
        self._unanswered_since = None
        if self._opened_at is not None:
            log.warning("plivo_answers_again", after=round(self._clock() - self._opened_at, 1))
        self._opened_at = None
        self._probing = False
        self._interval = FIRST_PROBE

    def failed(self, request: str) -> None:
        """A request got no usable answer (5xx, dropped, timed out)."""
        now = self._clock()
        self._no_answer(now)
        if self._opened_at is not None:
            if self._probing:  # the probe failed: wait longer before the next one
                self._probing = False
                self._interval = min(self._interval * 2, MAX_PROBE_INTERVAL)
                self._next_probe = now + self._interval
            return
        self._streak.append((request, now))
        recent = [(key, at) for key, at in self._streak if now - at <= self._window]
        self._streak = recent
        if len(recent) >= self._threshold and len({key for key, _ in recent}) >= DISTINCT:
            self._opened_at = now
            self._next_probe = now + self._interval
            self.openings += 1
            log.warning("plivo_not_answering", failing=len(recent), probing_every=self._interval)

    def throttled(self) -> None:
        """A 429: an answer, but not progress; nothing but 429s for too long is an outage too."""
        self._no_answer(self._clock())

    def _no_answer(self, now: float) -> None:
        if self._unanswered_since is None:
            self._unanswered_since = now

    async def admit(self) -> None:
        """Return when a request may go out; OutageError once the bound has passed."""
        while True:
            now = self._clock()
            self._check_bound(now)
            if self._opened_at is None:
                return
            if not self._probing and now >= self._next_probe:
                self._probing = True  # this caller is the probe; everyone else keeps waiting
                return
            await anyio.sleep(_TICK)

    def remaining(self) -> float:
        """Seconds left before an outage would be declared (infinite while Plivo answers)."""
        since = self._unanswered_since
        if since is None:
            return math.inf
        return max(0.0, self.give_up_after - (self._clock() - since))

    def _check_bound(self, now: float) -> None:
        since = self._unanswered_since
        if since is not None and now - since > self.give_up_after:
            seconds = math.floor(now - since)
            raise OutageError(
                f"Plivo gave no usable answer for {seconds} s (bound {self.give_up_after:g} s, "
                "--outage-timeout): the run stops here and can be resumed"
            )
