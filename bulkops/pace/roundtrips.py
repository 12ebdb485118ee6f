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
        self.spread = 0.0  # seconds: how far apart two round trips of a kind are, on average
        self._last: dict[str, float] = {}  # each kind's latest successful round trip

    def observe(self, seconds: float, kind: str = "", status: int = 200) -> None:
        """One request's round trip, from sending it to having its whole answer.

        `kind` tells requests apart whose round trips differ by what the server does (a list
        page, a GET, a DELETE): that difference is no jitter. Refusals (429s) and errors come
        back at their own speed, so only successful answers measure the spread.
        """
        if not math.isfinite(seconds) or seconds < 0:
            return
        self.mean = (
            seconds if self.mean is None else self.mean + MEAN_SMOOTHING * (seconds - self.mean)
        )
        if not 200 <= status < 300:
            return
        last = self._last.get(kind)
        self._last[kind] = seconds
        if last is not None:
            # Answers come back from many requests in flight at once: two of a kind in a row
            # are two independent draws, and their difference is what bunches arrivals.
            self.spread += SPREAD_SMOOTHING * (abs(seconds - last) - self.spread)
