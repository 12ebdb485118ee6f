"""A live line for the phases before a run that can take minutes: reading usage, for one.

On a terminal it is a spinner line on stderr, replaced as the phase goes; elsewhere (cron, CI),
with -v, a log line at most every few seconds, so a log shows the phase is alive.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Final

import structlog

from bulkops.cli.common import err

LOG_EVERY: Final = 5.0  # seconds between log lines when there is no terminal
PhaseProgress = Callable[[str, int, int | None], None]

log = structlog.get_logger("bulkops.progress")


def describe(phase: str, done: int, total: int | None) -> str:
    if phase == "usage":
        of = f" of about {total:,}" if total is not None and total >= done else ""
        return (
            f"reading call and message records: {done:,}{of} requests "
            "(Plivo's Message list allows 20 a minute)"
        )
    of = "" if total is None else f" of {total:,}"
    return f"{phase}: {done:,}{of}"


@contextlib.contextmanager
def phase_progress() -> Iterator[PhaseProgress]:
    if not err.is_terminal:
        last = [0.0]

        def to_log(phase: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            if now - last[0] >= LOG_EVERY:
                last[0] = now
                log.info("progress", phase=phase, done=done, total=total)

        yield to_log
        return
    with err.status("") as status:

        def to_terminal(phase: str, done: int, total: int | None) -> None:
            status.update(describe(phase, done, total))

        yield to_terminal
