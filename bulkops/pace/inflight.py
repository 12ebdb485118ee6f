"""How many requests a run keeps in flight: the account's rate times the recent round trip.

A fixed concurrency is right for one distance only. Little's law says that sending `rate`
requests per second that each take `latency` seconds keeps `rate x latency` of them in flight:
Plivo's 60/s at 250 ms needs 15, where 8 carry only 32/s. `InFlight` watches every answer's
round trip and allows that many, with headroom for jitter and a few spare to stand ready at the
throttle, up to a ceiling (`--concurrency`). The throttle, not this, sets the pace: allowing a
few too many costs a short wait at the throttle; allowing too few leaves the limit unreached.

Pure and clock-free: the transport reports round trips to a `RoundTrips`, the pool and the
listing window ask `allowed()` whenever they are about to start a request.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Protocol

from bulkops.pace.roundtrips import RoundTrips

HEADROOM: Final = 1.5  # round trips vary around their mean: jitter, a slow answer now and then
SPARE: Final = 4  # requests waiting at the throttle, so that none of its slots goes unused
# Before the first answer: as many as a fixed pool used to keep (the old default).
UNMEASURED: Final = 8


class Allowance(Protocol):
    """How many jobs may run at once now, never more than `ceiling`."""

    @property
    def ceiling(self) -> int: ...

    def allowed(self) -> int: ...


class Fixed:
    """A constant allowance: exactly `ceiling` at once."""

    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError(f"concurrency must be at least 1, got {ceiling}")
        self._ceiling = ceiling

    @property
    def ceiling(self) -> int:
        return self._ceiling

    def allowed(self) -> int:
        return self._ceiling


class InFlight:
    """Requests to keep in flight: rate x mean round trip x HEADROOM + SPARE, within 1..ceiling.

    `rate` is read at every decision (the throttle's current rate, lowered after 429s); None
    means no rate limit, and then only the ceiling bounds what is in flight.
    """

    def __init__(
        self, ceiling: int, rate: Callable[[], float | None], round_trips: RoundTrips
    ) -> None:
        if ceiling < 1:
            raise ValueError(f"concurrency must be at least 1, got {ceiling}")
        self._ceiling = ceiling
        self._rate = rate
        self._round_trips = round_trips

    @property
    def ceiling(self) -> int:
        return self._ceiling

    def allowed(self) -> int:
        rate = self._rate()
        if rate is None:
            return self._ceiling
        mean = self._round_trips.mean
        if mean is None:
            return min(UNMEASURED, self._ceiling)
        wanted = math.ceil(rate * mean * HEADROOM) + SPARE
        return max(1, min(self._ceiling, wanted))
