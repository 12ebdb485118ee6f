"""Selection: filters pushed to Plivo, the client-side predicate, and the reads select makes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from bulkops.client import Listing
from bulkops.numbers import NumberRecord
from bulkops.plan.model import NONE, DateCondition, Plan, Rule, Selector, Unrent, Update
from bulkops.selection import Query, matches, pushdown, select

TODAY = date(2026, 3, 10)


def rec(number: str, number_type: str = "local", **fields: Any) -> NumberRecord:
    return NumberRecord(number=number, number_type=number_type, **fields)


def rule(name: str, selector: Selector) -> Rule:
    return Rule(name, selector, Update((("alias", "x"),)))


def plan(*rules: Rule, exclude: Iterable[str] = ()) -> Plan:
    return Plan(version=1, rules=rules, exclude=frozenset(exclude))


class FakeFetch:
    """An account in memory that records every read and, like a careless server, ignores filters."""

    def __init__(self, records: Iterable[NumberRecord], *, repeat: bool = False) -> None:
        self.records = {r.number: r for r in records}
        self.repeat = repeat  # every page twice, as offset paging can do over a changing account
        self.queries: list[dict[str, str]] = []
        self.gets: list[str] = []
        self.probes = 0
        self.fail_with: Exception | None = None

    async def listed(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        on_page: Callable[[int, int | None], None] | None = None,
    ) -> Listing:
        self.queries.append(dict(query))
        if self.fail_with is not None:
            raise self.fail_with
        await anyio.lowlevel.checkpoint()
        if on_page is not None:  # one page holding everything
            on_page(len(self.records), len(self.records))
        times = 2 if self.repeat else 1
        kept = [r for _ in range(times) for r in self.records.values() if keep(r)]
        return Listing(kept, len(self.records))

    async def total(self, query: Mapping[str, str]) -> int:
        self.probes += 1
        return len(self.records)

    async def get_number(self, number: str) -> NumberRecord:
        self.gets.append(number)
        try:
            return self.records[number]
        except KeyError:
            raise LookupError(number) from None


def numbers(records: Iterable[NumberRecord]) -> list[str]:
    return sorted(r.number for r in records)


# --- pushdown ---------------------------------------------------------------------------------


def test_single_type_is_pushed_but_several_types_are_not() -> None:
    """One number type becomes `type=`; a list of types must be filtered on our side."""
    assert pushdown(Selector(types=("tollfree",)), TODAY).as_dict() == {"type": "tollfree"}
    assert pushdown(Selector(types=("local", "mobile")), TODAY).as_dict() == {}


def test_services_are_comma_joined_in_a_stable_order() -> None:
    """services is sent as one comma-joined value, whatever order the plan wrote them in."""
    query = pushdown(Selector(services=("sms", "voice")), TODAY)
    assert query.as_dict() == {"services": "voice,sms"}


def test_subaccount_is_pushed_only_for_a_real_subaccount_id() -> None:
    """An SA id filters on the server; `none` (main account) can only be checked client-side."""
    sa = "SA" + "B" * 18
    assert pushdown(Selector(subaccount=sa), TODAY).as_dict() == {"subaccount": sa}
    assert pushdown(Selector(subaccount=NONE), TODAY).as_dict() == {}


@pytest.mark.parametrize(
    ("status", "wire"),
    [("UNREGISTERED", "unregistered"), ("PROCESSING", "in_progress"), ("COMPLETED", "registered")],
)
def test_tendlc_status_uses_the_filter_spelling(status: str, wire: str) -> None:
    """10DLC object values are translated to the list filter's lowercase vocabulary."""
    query = pushdown(Selector(tendlc_registration_status=status), TODAY)
    assert query.as_dict() == {"tendlc_registration_status": wire}


def test_plain_filters_are_pushed_verbatim() -> None:
    """Prefix, alias, CNAM lookup, campaign and toll-free verification go to the server."""
    selector = Selector(
        number_startswith="1415",
        alias="Main",
        cnam_lookup="enabled",
        tendlc_campaign_id="C012345",
        toll_free_sms_verification="VERIFIED",
    )
    assert pushdown(selector, TODAY).as_dict() == {
        "number_startswith": "1415",
        "alias": "Main",
        "cnam_lookup": "enabled",
        "tendlc_campaign_id": "C012345",
        "toll_free_sms_verification": "verified",
    }


def test_renewal_dates_resolve_and_keep_the_strictest_bound() -> None:
    """Relative dates become ISO dates; two bounds with one operator push the tighter one."""
    selector = Selector(
        renewal_date=(
            DateCondition("lt", "+30d"),
            DateCondition("lt", "+7d"),
            DateCondition("gte", "2026-01-01"),
            DateCondition("gte", "-5d"),
            DateCondition("eq", "2026-03-12"),
        )
    )
    assert pushdown(selector, TODAY).as_dict() == {
        "renewal_date__lt": "2026-03-17",
        "renewal_date__gte": "2026-03-05",
        "renewal_date": "2026-03-12",
    }


def test_client_side_conditions_are_not_pushed() -> None:
    """Application, exclusions and explicit numbers have no list filter, so the query is empty."""
    selector = Selector(
        application="123", exclude=frozenset({"14155550100"}), numbers=("14155550101",)
    )
    assert pushdown(selector, TODAY) == Query()


def test_equal_filters_make_equal_queries() -> None:
    """Two selectors asking the server for the same thing produce one hashable Query."""
    a = pushdown(Selector(services=("voice", "sms"), types=("local",)), TODAY)
    b = pushdown(Selector(types=("local",), services=("sms", "voice"), application="9"), TODAY)
    assert a == b
    assert len({a, b}) == 1


# --- matches ----------------------------------------------------------------------------------

SA = "SA" + "C" * 18


@pytest.mark.parametrize(
    ("selector", "record", "expected"),
    [
        (Selector(types=("local", "mobile")), rec("14155550100", "mobile"), True),
        (Selector(types=("local", "mobile")), rec("14155550100", "tollfree"), False),
        (Selector(services=("voice", "sms")), rec("14155550100", voice_enabled=True), False),
        (
            Selector(services=("voice", "sms")),
            rec("14155550100", voice_enabled=True, sms_enabled=True, mms_enabled=True),
            True,
        ),
        (Selector(number_startswith="1415"), rec("14155550100"), True),
        (Selector(number_startswith="1212"), rec("14155550100"), False),
        (Selector(subaccount=NONE), rec("14155550100"), True),
        (Selector(subaccount=NONE), rec("14155550100", subaccount=SA), False),
        (Selector(subaccount=SA), rec("14155550100", subaccount=SA), True),
        (Selector(subaccount=SA), rec("14155550100"), False),
        (Selector(application=NONE), rec("14155550100"), True),
        (Selector(application=NONE), rec("14155550100", app_id="42"), False),
        (Selector(application="42"), rec("14155550100", app_id="42"), True),
        (Selector(application="42"), rec("14155550100", app_id="43"), False),
        (Selector(alias="Main"), rec("14155550100", alias="Main"), True),
        (Selector(alias="Main"), rec("14155550100", alias="main"), False),
        (Selector(alias=""), rec("14155550100", alias=None), True),
        (Selector(cnam_lookup="enabled"), rec("14155550100", cnam_lookup="disabled"), False),
        (Selector(tendlc_campaign_id="C1"), rec("14155550100", tendlc_campaign_id="C1"), True),
        (Selector(tendlc_campaign_id="C1"), rec("14155550100"), False),
        (
            Selector(tendlc_registration_status="COMPLETED"),
            rec("14155550100", tendlc_registration_status="REGISTERED"),
            True,
        ),
        (
            Selector(tendlc_registration_status="PROCESSING"),
            rec("14155550100", tendlc_registration_status="COMPLETED"),
            False,
        ),
        (
            Selector(toll_free_sms_verification="VERIFIED"),
            rec("18005550100", "tollfree", toll_free_sms_verification="verified"),
            True,
        ),
        (
            Selector(toll_free_sms_verification="VERIFIED"),
            rec("18005550100", "tollfree", toll_free_sms_verification=None),
            False,
        ),
        (Selector(numbers=("14155550100",)), rec("14155550100"), True),
        (Selector(numbers=("14155550100",)), rec("14155550101"), False),
        (Selector(exclude=frozenset({"14155550100"})), rec("14155550100"), False),
        (
            Selector(numbers=("14155550100",), exclude=frozenset({"14155550100"})),
            rec("14155550100"),
            False,
        ),
    ],
)
def test_matches_checks_every_condition(
    selector: Selector, record: NumberRecord, expected: bool
) -> None:
    """Each selector condition is enforced on our side, pushed-down ones included."""
    assert matches(selector, record, TODAY) is expected


@pytest.mark.parametrize(
    ("op", "value", "renewal", "expected"),
    [
        ("lt", "+7d", "2026-03-16", True),
        ("lt", "+7d", "2026-03-17", False),
        ("lte", "+7d", "2026-03-17", True),
        ("gt", "2026-03-10", "2026-03-10", False),
        ("gte", "2026-03-10", "2026-03-10", True),
        ("eq", "-1d", "2026-03-09", True),
        ("eq", "-1d", "2026-03-10", False),
        ("lt", "+7d", None, False),
    ],
)
def test_renewal_date_conditions(op: Any, value: str, renewal: str | None, expected: bool) -> None:
    """Renewal bounds compare against today's resolved date; an unknown date never matches."""
    selector = Selector(renewal_date=(DateCondition(op, value),))
    assert matches(selector, rec("14155550100", renewal_date=renewal), TODAY) is expected


# --- select -----------------------------------------------------------------------------------


async def test_rules_with_the_same_filters_share_one_listing() -> None:
    """Two rules that push the same query cost one listing, and each keeps only its own numbers."""
    fetch = FakeFetch([rec("14155550100", app_id="1"), rec("14155550101", app_id="2")])
    the_plan = plan(
        rule("one", Selector(types=("local",), application="1")),
        rule("two", Selector(types=("local",), application="2")),
    )
    selection = await select(the_plan, fetch, TODAY)
    assert fetch.queries == [{"type": "local"}]
    assert selection.listings == 1
    assert numbers(selection.matched["one"]) == ["14155550100"]
    assert numbers(selection.matched["two"]) == ["14155550101"]


async def test_distinct_filters_get_distinct_listings() -> None:
    """Each distinct pushed-down query is listed once, with its filters in Plivo's spelling."""
    fetch = FakeFetch([])
    the_plan = plan(
        rule("a", Selector(types=("tollfree",))),
        rule("b", Selector(services=("sms",), renewal_date=(DateCondition("lt", "+1d"),))),
        rule("c", Selector(types=("local",), alias="x")),
    )
    selection = await select(the_plan, fetch, TODAY)
    assert selection.listings == 3
    assert sorted(fetch.queries, key=sorted) == sorted(
        [
            {"type": "tollfree"},
            {"services": "sms", "renewal_date__lt": "2026-03-11"},
            {"type": "local", "alias": "x"},
        ],
        key=sorted,
    )


async def test_a_narrower_rule_rides_on_a_wider_listing() -> None:
    """A rule whose filters extend another's reuses that listing and still gets only its numbers."""
    fetch = FakeFetch(
        [rec("18005550100", "tollfree", alias="x"), rec("18005550101", "tollfree", alias="y")]
    )
    the_plan = plan(
        rule("narrow", Selector(types=("tollfree",), alias="x")),
        rule("wide", Selector(types=("tollfree",))),
    )
    selection = await select(the_plan, fetch, TODAY)
    assert fetch.queries == [{"type": "tollfree"}]
    assert numbers(selection.matched["narrow"]) == ["18005550100"]
    assert numbers(selection.matched["wide"]) == ["18005550100", "18005550101"]


async def test_an_unfiltered_rule_makes_one_listing_serve_every_rule() -> None:
    """When one rule needs the whole account anyway, no other listing is made."""
    fetch = FakeFetch([rec("14155550100", app_id="1"), rec("18005550100", "tollfree")])
    the_plan = plan(
        rule("tollfree", Selector(types=("tollfree",))),
        rule("app", Selector(application="1")),
    )
    selection = await select(the_plan, fetch, TODAY)
    assert fetch.queries == [{}]
    assert selection.listings == 1
    assert numbers(selection.matched["tollfree"]) == ["18005550100"]
    assert numbers(selection.matched["app"]) == ["14155550100"]


async def test_a_server_ignoring_filters_never_widens_the_selection() -> None:
    """When the listing returns the whole account, only numbers meeting every condition are kept."""
    account = [
        rec("14155550100", "local", sms_enabled=True, tendlc_registration_status="COMPLETED"),
        rec("14155550101", "local", sms_enabled=False, tendlc_registration_status="COMPLETED"),
        rec("14155550102", "tollfree", sms_enabled=True, tendlc_registration_status="COMPLETED"),
        rec("14155550103", "local", sms_enabled=True, tendlc_registration_status="PROCESSING"),
        rec("14155550104", "local", sms_enabled=True, tendlc_registration_status="REGISTERED"),
    ]
    fetch = FakeFetch(account)
    selector = Selector(types=("local",), services=("sms",), tendlc_registration_status="COMPLETED")
    selection = await select(plan(rule("r", selector)), fetch, TODAY)
    assert numbers(selection.matched["r"]) == ["14155550100", "14155550104"]


async def test_plan_wide_and_rule_exclusions_always_win() -> None:
    """A protected number is never selected, by listing or by name, and is not even fetched."""
    fetch = FakeFetch([rec("14155550100"), rec("14155550101"), rec("14155550102")])
    the_plan = plan(
        rule("listed", Selector(exclude=frozenset({"14155550101"}))),
        rule("named", Selector(numbers=("14155550100", "14155550102"))),
        exclude={"14155550100"},
    )
    selection = await select(the_plan, fetch, TODAY)
    assert numbers(selection.matched["listed"]) == ["14155550102"]
    assert numbers(selection.matched["named"]) == ["14155550102"]
    assert fetch.gets == ["14155550102"]


async def test_named_numbers_are_fetched_one_by_one_not_listed() -> None:
    """A rule naming its numbers makes one GET per number and no listing."""
    fetch = FakeFetch([rec("14155550100"), rec("14155550101"), rec("14155550102")])
    the_plan = plan(rule("named", Selector(numbers=("14155550102", "14155550100"))))
    selection = await select(the_plan, fetch, TODAY)
    assert fetch.queries == []
    assert sorted(fetch.gets) == ["14155550100", "14155550102"]
    assert selection.lookups == 2
    assert numbers(selection.matched["named"]) == ["14155550100", "14155550102"]


async def test_a_named_number_that_is_not_rented_is_reported_missing() -> None:
    """A number the plan names but the account lacks is listed in `missing`, not raised."""
    fetch = FakeFetch([rec("14155550100")])
    the_plan = plan(
        rule("a", Selector(numbers=("14155550100", "14155559999"))),
        rule("b", Selector(numbers=("14155559999",))),
    )
    selection = await select(the_plan, fetch, TODAY)
    assert numbers(selection.matched["a"]) == ["14155550100"]
    assert selection.missing == (("a", "14155559999"), ("b", "14155559999"))
    assert fetch.gets.count("14155559999") == 1


async def test_named_numbers_still_meet_the_other_conditions() -> None:
    """Naming a number does not bypass the rest of the selector (here: the number type)."""
    fetch = FakeFetch([rec("14155550100", "local"), rec("18005550100", "tollfree")])
    the_plan = plan(rule("a", Selector(types=("local",), numbers=("14155550100", "18005550100"))))
    selection = await select(the_plan, fetch, TODAY)
    assert numbers(selection.matched["a"]) == ["14155550100"]


async def test_the_callers_not_found_error_marks_a_number_missing() -> None:
    """`not_found` names the client's 404 exception, so any client can plug in."""

    class Gone(Exception):
        pass

    class Client(FakeFetch):
        async def get_number(self, number: str) -> NumberRecord:
            raise Gone(number)

    selection = await select(
        plan(rule("a", Selector(numbers=("14155550100",)))), Client([]), TODAY, not_found=Gone
    )
    assert selection.missing == (("a", "14155550100"),)


async def test_a_number_listed_twice_is_selected_once() -> None:
    """Offset paging can repeat a number; the rule still selects it once."""
    fetch = FakeFetch([rec("14155550100"), rec("14155550101")], repeat=True)
    selection = await select(plan(rule("a", Selector())), fetch, TODAY)
    assert numbers(selection.matched["a"]) == ["14155550100", "14155550101"]


async def test_a_failed_listing_raises_the_clients_own_error() -> None:
    """A read that fails surfaces as the client's exception, not wrapped in an exception group."""

    class Unauthorized(Exception):
        pass

    fetch = FakeFetch([])
    fetch.fail_with = Unauthorized("check PLIVO_AUTH_ID")
    with pytest.raises(Unauthorized, match="PLIVO_AUTH_ID"):
        await select(plan(rule("a", Selector()), rule("b", Selector(alias="x"))), fetch, TODAY)


async def test_every_rule_appears_in_the_selection_even_when_empty() -> None:
    """A rule that selects nothing is still reported, with no numbers, and costs no reads."""
    the_plan = Plan(
        version=1,
        rules=(Rule("none named", Selector(numbers=()), Unrent()),),
    )
    fetch = FakeFetch([rec("14155550100")])
    selection = await select(the_plan, fetch, TODAY)
    assert selection.matched == {"none named": []}
    assert fetch.queries == []
    assert fetch.gets == []


async def test_lookups_run_concurrently_but_bounded() -> None:
    """Named numbers are fetched several at a time, never more than `lookup_concurrency` at once."""

    class Spy(FakeFetch):
        in_flight = 0
        most = 0

        async def get_number(self, number: str) -> NumberRecord:
            Spy.in_flight += 1
            Spy.most = max(Spy.most, Spy.in_flight)
            await anyio.sleep(0)
            Spy.in_flight -= 1
            return await super().get_number(number)

    # 1,000 numbers: listing them takes 51 requests, more than the 20 GETs.
    account = [rec(f"1415555{i:04d}") for i in range(1000)]
    named = tuple(r.number for r in account[:20])
    selection = await select(
        plan(rule("a", Selector(numbers=named))), Spy(account), TODAY, lookup_concurrency=3
    )
    assert len(selection.matched["a"]) == 20
    assert Spy.most == 3


async def test_many_named_numbers_in_a_small_account_are_listed_not_fetched_one_by_one() -> None:
    """50 named numbers in an account of 60: a probe and 3 pages instead of 50 GETs."""
    account = [rec(f"1415555{i:04d}") for i in range(60)]
    named = (*(r.number for r in account[:50]), "14155559999")
    fetch = FakeFetch(account)
    selection = await select(plan(rule("a", Selector(numbers=named))), fetch, TODAY)
    assert fetch.gets == []
    assert fetch.probes == 1
    assert fetch.queries == [{}]
    assert numbers(selection.matched["a"]) == sorted(named[:50])
    assert selection.missing == (("a", "14155559999"),)
    assert selection.lookups == 0


async def test_a_few_named_numbers_cost_one_get_each_and_no_probe() -> None:
    """Two named numbers: two GETs, no probe of the account's size, no listing."""
    account = [rec(f"1415555{i:04d}") for i in range(60)]
    fetch = FakeFetch(account)
    named = (account[0].number, account[1].number)
    selection = await select(plan(rule("a", Selector(numbers=named))), fetch, TODAY)
    assert sorted(fetch.gets) == sorted(named)
    assert (fetch.probes, fetch.queries, selection.lookups) == (0, [], 2)


async def test_the_selection_keeps_each_listing_with_its_total_and_rules() -> None:
    """What a saved plan stores to re-read its numbers later: filters, total, rules served."""
    account = [rec("14155550100"), rec("14155550101", "tollfree")]
    the_plan = plan(
        rule("locals", Selector(types=("local",))),
        rule("also-locals", Selector(types=("local",), alias="x")),
    )
    selection = await select(the_plan, FakeFetch(account), TODAY)
    [counted] = selection.listed
    assert counted.query == Query.of({"type": "local"})
    assert counted.total_count == 2  # this fake ignores filters: the server's total, as given
    assert counted.rules == ("locals", "also-locals")
