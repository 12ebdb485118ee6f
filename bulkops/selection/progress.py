"""How a long read tells the CLI how far it is, without printing: a callback.

`Progress(phase, done, total)`: the phase ("listing", "looking up", "re-checking", …), how many
of its items are done, and how many there are (None while unknown). Stages call it; only the CLI
shows it. One shape for every phase, so a new phase needs no new plumbing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int | None], None]  # (phase, done, total)
PageProgress = Callable[[int, int | None], None]  # one listing: (received, total_count)


def quiet(phase: str, done: int, total: int | None) -> None:
    """The progress of a caller that shows none."""


class Listings:
    """Several listings at once reported as one phase: their numbers received, of their totals."""

    def __init__(self, progress: Progress, phase: str) -> None:
        self._progress = progress
        self._phase = phase
        self._seen: dict[int, tuple[int, int | None]] = {}

    def page_progress(self) -> PageProgress:
        """The callback for one more listing."""
        key = len(self._seen)
        self._seen[key] = (0, None)

        def on_page(received: int, total: int | None) -> None:
            self._seen[key] = (received, total)
            totals = [total for _, total in self._seen.values()]
            known = None if None in totals else sum(t for t in totals if t is not None)
            self._progress(self._phase, sum(done for done, _ in self._seen.values()), known)

        return on_page
