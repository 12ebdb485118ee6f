"""A sliding-window limit: at most `requests` in any `period` seconds, as Plivo counts them.

A token bucket would not do for the Message list's 20 a minute: refilled one token per 3 s after
a burst of 20, it sends the 21st request 3 s later, inside the same minute. The window remembers
when each of the last `requests` sends went out and waits for the oldest to leave the window,
plus `margin` for the send and the server's arrival to differ by the network's jitter.

Plivo counts per account, not per process: `plan` then `apply` a few seconds later, or a cron
run beside a manual one, share the minute. With a `ledger` file the sends of every bulkops
process on the machine are counted together (the file is locked while a send is decided).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import anyio


class SlidingWindow:
    def __init__(
        self,
        requests: int,
        period: float,
        *,
        margin: float = 1.0,
        ledger: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if requests < 1 or period <= 0 or margin < 0:
            raise ValueError(f"not a window: {requests} requests per {period} s (+{margin} s)")
        self.requests = requests
        self.period = period + margin
        self._ledger = ledger
        self._clock = clock  # wall-clock seconds: comparable across processes via the ledger
        self._sent: deque[float] = deque(maxlen=requests)
        self._resume_at = 0.0
        self._lock = anyio.Lock()

    async def wait(self) -> None:
        """Return when one more request fits the window; callers go one at a time, in order."""
        async with self._lock:
            while True:
                with self._shared() as shared:
                    delay = self.delay()
                    if delay <= 0:
                        self._sent.append(self._clock())
                        shared(self._sent)
                        return
                await anyio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """The server said 429 all the same: someone else spent the window. Wait it out whole."""
        now = self._clock()
        self._resume_at = max(self._resume_at, now + max(seconds, self.period))

    def delay(self) -> float:
        """Seconds until one more request fits the window (0: now)."""
        now = self._clock()
        delay = self._resume_at - now
        if len(self._sent) >= self.requests:
            delay = max(delay, self._sent[0] + self.period - now)
        return delay

    @contextlib.contextmanager
    def _shared(self) -> Iterator[Callable[[deque[float]], None]]:
        """Under the ledger's lock: merge in other processes' sends; yield a writer for ours."""
        if self._ledger is None:
            yield lambda sent: None
            return
        self._ledger.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self._ledger, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            # The ledger holds every process's sends, ours included: it is the whole truth.
            sends = sorted(_read(handle))
            self._sent = deque(sends[-self.requests :], maxlen=self.requests)
            yield lambda sent: _write(handle, sent)


def _read(handle: IO[str]) -> list[float]:
    try:
        times = json.loads(handle.read() or "[]")
    except ValueError:
        return []  # a torn or foreign file: only ever a saving lost
    return [t for t in times if isinstance(t, int | float)] if isinstance(times, list) else []


def _write(handle: IO[str], sent: deque[float]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(list(sent)))
    handle.flush()
