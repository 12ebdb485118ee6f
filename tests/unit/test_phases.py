"""Reads before a run say how far they are: stages report (phase, done, total), the CLI shows it."""

from __future__ import annotations

from datetime import date

from bulkops.numbers import NumberRecord
from bulkops.plan.model import Plan, Rule, Selector, Update
from bulkops.report.phases import describe, describe_all
from bulkops.selection import select
from bulkops.selection.progress import Listings
from tests.unit.test_select import FakeFetch

TODAY = date(2026, 3, 1)


class Spy:
    def __init__(self) -> None:
        self.heard: list[tuple[str, int, int | None]] = []

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        self.heard.append((phase, done, total))


def test_a_phase_reads_as_a_person_would_say_it() -> None:
    """ "listing 1,240 of 15,000 numbers"; before the total is known, just the count."""
    assert describe("listing", 1240, 15000) == "listing 1,240 of 15,000 numbers"
    assert describe("listing", 20, None) == "listing 20 numbers"
    assert describe("re-checking", 3, 40) == "re-checking 3 of 40 numbers against the account"
    both = describe_all({"listing": (40, 100), "looking up": (2, 5)})
    assert both == "listing 40 of 100 numbers · looking up 2 of 5 named numbers"


def test_listings_side_by_side_report_as_one_phase() -> None:
    """Two listings at once: their numbers add up, and the total is known once both are."""
    spy = Spy()
    listings = Listings(spy, "listing")
    first, second = listings.page_progress(), listings.page_progress()
    first(20, 100)
    second(20, None)
    second(40, 60)
    assert spy.heard == [("listing", 20, None), ("listing", 40, None), ("listing", 60, 160)]


async def test_selection_reports_its_listing_and_its_lookups() -> None:
    """`select` tells its progress callback about every listing and every named number."""
    records = [NumberRecord(f"1415555{i:04d}", "local") for i in range(30)]
    named = tuple(r.number for r in records[:3])
    plan = Plan(
        version=1,
        rules=(
            Rule("all", Selector(), Update((("alias", "x"),))),
            Rule("named", Selector(numbers=named), Update((("alias", "y"),))),
        ),
    )
    spy = Spy()
    await select(plan, FakeFetch(records), TODAY, progress=spy)
    assert ("listing", 30, 30) in spy.heard
    lookups = [heard for heard in spy.heard if heard[0] == "looking up"]
    assert lookups[-1] == ("looking up", 3, 3)
    assert [done for _, done, _ in lookups] == [1, 2, 3]
