"""The cheapest read of a known set of numbers: GETs, the saved listings, or the whole account."""

from __future__ import annotations

from bulkops.selection.current import cheapest, worth_probing
from bulkops.selection.query import Counted, Query


def counted(total: int, *rules: str) -> Counted:
    return Counted(Query.of({"type": "local"}), total, rules or ("r",))


def test_few_numbers_are_read_one_get_each() -> None:
    """Ten numbers: ten GETs beat a listing of 1,000 (50 pages)."""
    plan = cheapest(10, [counted(1000)])
    assert (plan.way, plan.requests) == ("get", 10)


def test_many_numbers_under_a_small_listing_are_listed() -> None:
    """1,937 tasks from a listing of 2,000: 100 pages, not 1,937 GETs."""
    plan = cheapest(1937, [counted(2000)])
    assert (plan.way, plan.requests) == ("queries", 100)


def test_numbers_no_listing_covers_add_one_get_each() -> None:
    """Named numbers ride along as GETs: 100 pages + 30 GETs."""
    assert cheapest(1937, [counted(2000)], uncovered=30).requests == 130


def test_the_whole_account_wins_only_when_its_pages_and_probe_cost_less() -> None:
    """Two overlapping listings of 3,000 each (300 pages) lose to an account of 4,000 (201)."""
    both = [counted(3000, "a"), counted(3000, "b")]
    plan = cheapest(2500, both, account_total=4000)
    assert (plan.way, plan.requests) == ("account", 201)
    assert cheapest(2500, both, account_total=10_000).way == "queries"


def test_a_tie_goes_to_the_gets() -> None:
    """Equal cost: GETs (the freshest, one number at a time) are chosen."""
    assert cheapest(5, [counted(100)]).way == "get"


def test_an_empty_listing_still_costs_its_one_page() -> None:
    """A listing that matched nothing is one request, not zero."""
    assert counted(0).pages == 1


def test_the_probe_is_spent_only_where_the_account_could_win() -> None:
    """No probe for two numbers, nor under one listing (a part of the account); one otherwise."""
    assert not worth_probing(2)
    assert worth_probing(3)
    assert not worth_probing(5000, [counted(6000)])
    assert worth_probing(5000, [counted(6000, "a"), counted(6000, "b")])
    assert not worth_probing(3, [counted(10, "a"), counted(10, "b")])  # 2 pages: nothing to win
