"""The watch right before each unrent reads usage only for the numbers still to be unrented."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from bulkops.client.traffic import Traffic, TrafficPage
from bulkops.run.usage_watch import UsageWatch
from bulkops.tasks.model import UsageCheck

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)
A, B = "14155550101", "14155550102"


class QuietLists:
    """Call and Message lists with no record of any number (an account-wide list is long)."""

    def __init__(self) -> None:
        self.asked: list[str] = []  # the numbers each request named

    async def traffic_page(
        self, traffic: Traffic, query: Mapping[str, str], limit: int, offset: int
    ) -> TrafficPage:
        named = query.get("to_number") or query.get("from_number")
        if named:
            self.asked.append(named.removeprefix("+"))
        return TrafficPage(
            total_count=0 if named else 100_000, records=(), received=0, unreadable=0
        )


async def test_a_number_let_go_is_not_read_again() -> None:
    clock = [0.0]
    lists = QuietLists()
    check = UsageCheck(NOW - datetime.timedelta(minutes=5), {"cleanup": ("calls",)})
    watch = UsageWatch(
        check, lists, [(A, "cleanup"), (B, "cleanup")], clock=lambda: clock[0], now=lambda: NOW
    )
    assert await watch.used_since_plan(A, "cleanup") is None
    assert set(lists.asked) == {A, B}
    watch.done(B)  # left alone (it drifted) or unrented: nothing more to ask of it
    lists.asked.clear()
    clock[0] += 60.0  # the reading is too old: the next check reads again
    assert await watch.used_since_plan(A, "cleanup") is None
    assert lists.asked
    assert B not in lists.asked
