"""A leaky bucket that books each request's moment as it asks (the GCRA form of the bucket).

A bucket of `capacity` draining `rate` per second lets a request through when it fits. Kept as
the moment the bucket would be empty, a request learns at once how long to wait: one
subtraction, no queue of futures to wake one by one (aiolimiter's way, several loop callbacks
per request). Requests are let through in the order they asked.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bulkops.pace.clock import now


class Bucket:
    def __init__(self, rate: float, capacity: int, clock: Callable[[], float] = now) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.capacity = capacity
        self.retime(rate)
        self._clock = clock
        self._empty_at = -math.inf  # when everything booked so far has drained
        self.booked = 0  # bookings so far (less those given back): the latest one's number

    def retime(self, rate: float) -> None:
        """Drain at `rate` from now on; what is booked already keeps its moments."""
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number, got {rate!r}")
        self._interval = 1.0 / rate

    def book(self, amount: int = 1) -> float:
        """Take `amount` (≤ capacity) places; return the seconds to wait before using them."""
        if not 1 <= amount <= self.capacity:
            raise ValueError(f"amount must be 1-{self.capacity}, got {amount!r}")
        now_ = self._clock()
        self.booked += 1
        self._empty_at = max(self._empty_at, now_) + amount * self._interval
        # It fits once the level (time to empty x rate) is capacity at most.
        return max(0.0, self._empty_at - self.capacity * self._interval - now_)

    def give_back(self, booking: int, amount: int) -> None:
        """Undo booking number `booking` of `amount` places (its caller gave up waiting), if it
        is still the latest: later ones are already timed after it, and keep their times."""
        if booking == self.booked:
            self.booked -= 1
            self._empty_at -= amount * self._interval
