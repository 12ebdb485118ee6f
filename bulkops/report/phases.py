"""The line a person sees while a read that can take minutes goes on ("listing 1,240 of …")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# What each phase counts, as a person would say it.
UNITS: Final = {
    "listing": "numbers",
    "looking up": "named numbers",
    "checking": "numbers against the account",
    "re-checking": "numbers against the account",
}


def describe(phase: str, done: int, total: int | None) -> str:
    """`listing 1,240 of 15,000 numbers`; `of …` only once the total is known."""
    if phase == "usage":
        about = f" of about {total:,}" if total is not None and total >= done else ""
        return (
            f"reading call and message records: {done:,}{about} requests "
            "(Plivo's Message list allows 20 a minute)"
        )
    of = "" if total is None else f" of {total:,}"
    return f"{phase} {done:,}{of} {UNITS.get(phase, 'items')}"


def describe_all(phases: Mapping[str, tuple[int, int | None]]) -> str:
    """Phases running side by side (a listing and the named numbers), on one line."""
    return " · ".join(describe(phase, *counts) for phase, counts in phases.items())
