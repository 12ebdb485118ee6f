"""Small builders for tests that need tasks or journaled runs without planning them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bulkops.numbers import NumberRecord
from bulkops.run.journal import Entry, Journal
from bulkops.tasks.model import Action, Task, ordered

AUTH_ID = "MA" + "A" * 18


def task(
    number: str = "14155550100",
    body: dict[str, str] | None = None,
    *,
    action: Action = "update",
    rule: str = "r",
    **before: Any,
) -> Task:
    """An update of `body` (default: alias "x"), or an unrent, planned against `before`."""
    pairs = (
        ordered(({"alias": "x"} if body is None else body).items()) if action == "update" else ()
    )
    record = NumberRecord(number, before.pop("number_type", "local"), **before)
    return Task(number, rule, action, pairs, record)


def entries(tasks: Iterable[Task]) -> list[Entry]:
    return [Entry(seq, one) for seq, one in enumerate(tasks)]


def new_run(
    journal: Journal,
    tasks: Iterable[Task],
    *,
    plan_name: str = "p",
    auth_id: str = AUTH_ID,
    location: str = "http://127.0.0.1:1",
    settings: dict[str, Any] | None = None,
) -> str:
    return journal.create_run(
        plan_name=plan_name,
        source=None,
        fingerprint="f" * 64,
        auth_id=auth_id,
        location=location,
        settings=settings or {"limits": {"rate": 10}},
        entries=entries(tasks),
    )
