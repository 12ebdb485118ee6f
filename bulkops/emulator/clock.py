"""The emulator's notion of "now", which every traffic window is measured from.

Without a fixed day it is the real UTC time. With `EmulatorConfig.today` it starts at 12:00:00 UTC
on that day, when the emulator is created, and then advances with `time.monotonic()`. So a run's
windows stay consistent: a record made "now" by `add_call` falls inside "the last 24 hours", and
the seeded history, laid out backwards from the start instant, is the same on every run.
"""

from __future__ import annotations

import datetime
import time
from typing import Final

UTC: Final = datetime.UTC
FIXED_HOUR: Final = 12  # noon: a whole half-day of margin either side of the fixed day's edges


class Clock:
    """UTC "now" for one emulator: real time, or a fixed day's noon that keeps ticking."""

    def __init__(self, today: datetime.date | None = None) -> None:
        self._started = time.monotonic()
        self._anchor: float | None = None
        if today is not None:
            noon = datetime.datetime.combine(today, datetime.time(FIXED_HOUR), UTC)
            self._anchor = noon.timestamp()

    @property
    def fixed(self) -> bool:
        """True when the clock was pinned to a day (and so the seeded history is reproducible)."""
        return self._anchor is not None

    def timestamp(self) -> float:
        """Now, as POSIX seconds."""
        if self._anchor is None:
            return time.time()
        return self._anchor + (time.monotonic() - self._started)

    def now(self) -> datetime.datetime:
        """Now, as an aware UTC datetime."""
        return datetime.datetime.fromtimestamp(self.timestamp(), UTC)
