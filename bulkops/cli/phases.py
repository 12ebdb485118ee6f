"""Reads that can take minutes before a run (listing, re-checking) show that they are alive.

On a terminal: one transient status line on stderr, updated as the stages report. Without one
(cron, CI): with -v, a log line when a phase starts, at most every LOG_EVERY seconds after, and
when it completes, so a log shows how far it got.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Final

from bulkops import logs
from bulkops.cli.common import err
from bulkops.report.phases import describe_all
from bulkops.selection.progress import Progress

LOG_EVERY: Final = 5.0

log = logs.get_logger("bulkops.progress")


@contextlib.contextmanager
def phase_progress() -> Iterator[Progress]:
    """A Progress callback for the stages; what it was told disappears when the block ends."""
    if not err.is_terminal:
        yield _LogLines()
        return
    phases: dict[str, tuple[int, int | None]] = {}
    with err.status("", spinner="dots") as status:

        def show(phase: str, done: int, total: int | None) -> None:
            phases[phase] = (done, total)
            status.update(describe_all(phases))

        yield show


class _LogLines:
    """Progress as log lines, few enough for a cron mail."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        started = phase not in self._last
        if started or done == total or now - self._last[phase] >= LOG_EVERY:
            self._last[phase] = now
            log.info("progress", phase=phase, done=done, total=total)
