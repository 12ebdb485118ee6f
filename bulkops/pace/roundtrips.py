"""What the run has seen of round trips: their recent mean and how much they differ.

The transport reports every answer's round trip here. Two readers: `InFlight` keeps rate x the
mean round trip in flight (Little's law), and the throttle slows down a little when round trips
differ widely, because Plivo counts requests when they arrive and jitter bunches arrivals
(`pace.jitter`). Both are moving averages, as TCP keeps of its round trips: recent answers
count, and a single straggler moves them only a little.
"""

from __future__ import annotations

import math
from typing import Final

MEAN_SMOOTHING: Final = 0.1  # weight of each new round trip in the mean: about the last 20 count
# The spread needs more answers than the mean to settle: about the last 60 count.
SPREAD_SMOOTHING: Final = 0.03


class RoundTrips:
    def __init__(self) -> None:
        self.mean: float | None = None  # seconds; None until the first answer
        self.spread = 0.0  # seconds: how far apart two round trips are, on average
        self._last: float | None = None

    def observe(self, seconds: float) -> None:
        """One request's round trip, from sending it to having its whole answer."""
        if not math.isfinite(seconds) or seconds < 0:
            return
        last, self._last = self._last, seconds
        if last is None or self.mean is None:
            self.mean = seconds
            return
        self.mean += MEAN_SMOOTHING * (seconds - self.mean)
        # Answers come back from many requests in flight at once: two in a row are two
        # independent draws, and their difference is what bunches arrivals (pace.jitter).
        self.spread += SPREAD_SMOOTHING * (abs(seconds - last) - self.spread)
