"""The two things that stand between a request and the state: the rate limit and injected faults."""

from __future__ import annotations

import random
from collections import deque
from typing import NamedTuple

from bulkops.emulator.config import Faults, RateLimit


class SlidingWindow:
    """Admit at most `requests` in any `period` seconds, judged on admitted timestamps only.

    A refused request leaves no trace, so a client hammering at a 429 does not extend its own
    penalty, which is what a token budget per account behaves like.
    """

    def __init__(self, limit: RateLimit) -> None:
        self._requests = limit.requests
        self._period = limit.period
        self._admitted: deque[float] = deque()

    def admit(self, now: float) -> bool:
        admitted = self._admitted
        horizon = now - self._period
        while admitted and admitted[0] <= horizon:
            admitted.popleft()
        if len(admitted) >= self._requests:
            return False
        admitted.append(now)
        return True

    def reset(self) -> None:
        self._admitted.clear()


class Verdict(NamedTuple):
    """The faults one request will suffer, decided up front so the draws stay in a fixed order."""

    drop: bool = False
    throttle: bool = False
    error_status: int = 0  # 500 or 503 when an error is injected
    drop_after: bool = False


NO_FAULT = Verdict()


class FaultDice:
    """Seeded draws: the same config and request sequence always faults the same requests."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self._faults = faults
        self._rng = random.Random(f"faults:{seed}")

    def roll(self) -> Verdict:
        faults = self._faults
        if not faults.enabled:
            return NO_FAULT
        rand = self._rng.random
        error = rand() < faults.error_rate
        return Verdict(
            drop=rand() < faults.drop_rate,
            throttle=rand() < faults.throttle_rate,
            error_status=(503 if rand() < 0.5 else 500) if error else 0,
            drop_after=rand() < faults.drop_after_rate,
        )


def format_retry_after(seconds: float) -> str:
    """Whole seconds as an integer (RFC 9110); anything finer keeps up to three decimals."""
    if seconds == int(seconds):
        return str(int(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".")
