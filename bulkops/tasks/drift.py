"""Drift: whether a number changed on Plivo since a task was planned against it."""

from __future__ import annotations

from typing import Final

from bulkops.numbers import NumberRecord
from bulkops.tasks.model import RECORD_FIELDS, Task

# Any change since review makes a task stale: what it writes, and what the plan's selectors read
# (renewal date, services, 10DLC status, …) alike. Region is a label for people, the rental rate
# a price: neither is the number's state.
DRIFT_FIELDS: Final = tuple(
    name for name in RECORD_FIELDS if name not in ("region", "monthly_rental_rate")
)


def drift(task: Task, live: NumberRecord | None) -> tuple[str, ...]:
    """The fields whose live value differs from the task's before-state; ("gone",) if unrented."""
    if live is None:
        return ("gone",)
    saved = task.before
    return tuple(field for field in DRIFT_FIELDS if _current(saved, field) != _current(live, field))


def _current(record: NumberRecord, field: str) -> object:
    # "" and None (and False and a missing value) all read as "nothing" on Plivo's side.
    return getattr(record, field) or None
