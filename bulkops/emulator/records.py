"""What the emulator saw: every response it gave and every change it applied.

Tuples, not dataclasses: benchmarks push 100k+ requests through and each record must be cheap.
"""

from __future__ import annotations

from typing import NamedTuple


class Served(NamedTuple):
    """One request and the status it got; 0 when the connection was dropped instead.

    `path` includes the query string, so a test can see which filters a client pushed down.
    """

    method: str
    path: str
    status: int
    at: float  # time.monotonic() when the request was admitted


class Mutation(NamedTuple):
    """A change the emulator applied: an update (POST, with the fields sent) or an unrent."""

    number: str
    method: str  # "POST" | "DELETE"
    fields: dict[str, str]
    at: float
