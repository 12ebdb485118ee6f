"""What stands between a request and the state: rate limits, outages and injected faults."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

from bulkops.emulator.config import Faults, OutageMode, RateLimit


class SlidingWindow:
    """Admit at most `requests` in any `period` seconds, judged on admitted timestamps only.

    A refused request leaves no trace, so a client hammering at a 429 does not extend its own
    penalty, which is what a token budget per account behaves like.
    """

    def __init__(self, limit: RateLimit) -> None:
        self._requests = limit.requests
        self._period = limit.period
        self._admitted: deque[float] = deque()

    def has_room(self, now: float) -> bool:
        """Would a request at `now` be admitted? (Does not admit it.)"""
        admitted = self._admitted
        horizon = now - self._period
        while admitted and admitted[0] <= horizon:
            admitted.popleft()
        return len(admitted) < self._requests

    def take(self, now: float) -> None:
        """Count a request admitted at `now`; call only after `has_room` said yes."""
        self._admitted.append(now)

    def admit(self, now: float) -> bool:
        if not self.has_room(now):
            return False
        self.take(now)
        return True

    def reset(self) -> None:
        self._admitted.clear()


def admit_all(windows: list[SlidingWindow], now: float) -> bool:
    """Admit a request only if every window has room, and then count it in all of them."""
    if not all(window.has_room(now) for window in windows):
        return False
    for window in windows:
        window.take(now)
    return True


@dataclass(frozen=True, slots=True)
class Outage:
    """The server is down from `begins` until `ends` (time.monotonic(); None: until ended)."""

    begins: float
    ends: float | None
    mode: OutageMode

    def covers(self, now: float) -> bool:
        return self.begins <= now and (self.ends is None or now < self.ends)


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
        # Its own stream: jitter never shifts which requests the fault draws pick.
        self._latency_rng = random.Random(f"latency:{seed}")

    def latency(self) -> float:
        """This request's added latency: the configured one, spread by its jitter."""
        faults = self._faults
        if not faults.latency_jitter:
            return faults.latency
        spread = faults.latency * faults.latency_jitter
        return self._latency_rng.uniform(faults.latency - spread, faults.latency + spread)

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
