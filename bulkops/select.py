"""Selection: which rented numbers each rule of a plan selects.

Two halves that must agree. `pushdown` turns a selector into the list filters Plivo understands, so
a listing transfers fewer numbers; `matches` is the full predicate, applied to every listed number
whatever the server did with the filters. A server that ignores a filter therefore costs bandwidth,
never a change to a number the plan did not select.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

import anyio

from bulkops.numbers import SERVICES, NumberRecord
from bulkops.plan.model import NONE, DateCondition, Plan, Rule, Selector

# Plan (object) spelling → list-filter spelling. REGISTERED appears in Plivo's own fixtures.
_TENDLC_FILTER: Final = {
    "UNREGISTERED": "unregistered",
    "PROCESSING": "in_progress",
    "COMPLETED": "registered",
}
_TENDLC_ALIASES: Final = {"REGISTERED": "COMPLETED"}
_DATE_PARAM: Final = {
    "eq": "renewal_date",
    "lt": "renewal_date__lt",
    "lte": "renewal_date__lte",
    "gt": "renewal_date__gt",
    "gte": "renewal_date__gte",
}
# For two bounds with the same operator, the strictest one: the smaller upper bound, the larger
# lower bound. Two different `eq` dates match nothing; pushing either one is then just as safe.
_STRICTEST: Final[Mapping[str, Callable[[str, str], str]]] = {
    "eq": min,
    "lt": min,
    "lte": min,
    "gt": max,
    "gte": max,
}


@dataclass(frozen=True, slots=True)
class Query:
    """List filters in Plivo's wire spelling, sorted, so equal filters compare and hash equal."""

    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Query:
        return cls(tuple(sorted(params.items())))

    def as_dict(self) -> dict[str, str]:
        return dict(self.params)


def pushdown(selector: Selector, today: date) -> Query:
    """The conditions of `selector` that Plivo's list endpoint can filter on, as a Query."""
    params: dict[str, str] = {}
    if len(selector.types) == 1:
        params["type"] = selector.types[0]
    if selector.services:
        params["services"] = ",".join(s for s in SERVICES if s in selector.services)
    if selector.subaccount is not None and selector.subaccount != NONE:
        params["subaccount"] = selector.subaccount
    if selector.tendlc_registration_status is not None:
        params["tendlc_registration_status"] = _TENDLC_FILTER[selector.tendlc_registration_status]
    if selector.toll_free_sms_verification is not None:
        params["toll_free_sms_verification"] = selector.toll_free_sms_verification.lower()
    for name in ("number_startswith", "alias", "cnam_lookup", "tendlc_campaign_id"):
        value: str | None = getattr(selector, name)
        if value:  # an empty alias cannot be told apart from "any" on the wire
            params[name] = value
    params.update(_date_params(selector.renewal_date, today))
    return Query.of(params)


def _date_params(conditions: Iterable[DateCondition], today: date) -> dict[str, str]:
    params: dict[str, str] = {}
    for condition in conditions:
        name = _DATE_PARAM[condition.op]
        value = condition.resolve(today).isoformat()
        params[name] = _STRICTEST[condition.op](params[name], value) if name in params else value
    return params


class Predicate:
    """A selector compiled once (dates resolved, lists turned into sets) and applied per record."""

    __slots__ = ("_checks", "_exclude", "_numbers")

    def __init__(
        self, selector: Selector, today: date, exclude: frozenset[str] = frozenset()
    ) -> None:
        self._numbers = None if selector.numbers is None else frozenset(selector.numbers)
        self._exclude = selector.exclude | exclude
        self._checks = _checks(selector, today)

    def __call__(self, record: NumberRecord) -> bool:
        if record.number in self._exclude:
            return False
        if self._numbers is not None and record.number not in self._numbers:
            return False
        return all(check(record) for check in self._checks)


Check = Callable[[NumberRecord], bool]


def _checks(s: Selector, today: date) -> list[Check]:
    """One small test per condition the selector states; absent conditions cost nothing."""
    checks: list[Check] = []
    if s.types:
        types = frozenset(s.types)
        checks.append(lambda r: r.number_type in types)
    if s.services:
        wanted = frozenset(s.services)
        checks.append(lambda r: wanted <= r.services)
    if s.number_startswith is not None:
        prefix = s.number_startswith
        checks.append(lambda r: r.number.startswith(prefix))
    if s.subaccount is not None:
        subaccount = None if s.subaccount == NONE else s.subaccount
        checks.append(lambda r: (r.subaccount or None) == subaccount)
    if s.application is not None:
        app_id = None if s.application == NONE else s.application
        checks.append(lambda r: (r.app_id or None) == app_id)
    if s.alias is not None:
        alias = s.alias or None  # Plivo shows a cleared alias as "" or null
        checks.append(lambda r: (r.alias or None) == alias)
    if s.tendlc_registration_status is not None:
        status = s.tendlc_registration_status.upper()
        checks.append(lambda r: _tendlc_status(r) == status)
    if s.toll_free_sms_verification is not None:
        verification = s.toll_free_sms_verification.upper()
        checks.append(lambda r: (r.toll_free_sms_verification or "").upper() == verification)
    for name in ("cnam_lookup", "tendlc_campaign_id"):
        wanted_value: str | None = getattr(s, name)
        if wanted_value is not None:
            checks.append(_equals(name, wanted_value))
    checks.extend(_date_check(condition, today) for condition in s.renewal_date)
    return checks


def _equals(name: str, value: str) -> Check:
    return lambda r: getattr(r, name) == value


def _tendlc_status(record: NumberRecord) -> str:
    status = (record.tendlc_registration_status or "").upper()
    return _TENDLC_ALIASES.get(status, status)


def _date_check(condition: DateCondition, today: date) -> Check:
    # ISO dates order as strings, which avoids parsing 300k dates.
    bound = condition.resolve(today).isoformat()
    compare: Callable[[str], bool] = {
        "eq": bound.__eq__,
        "lt": bound.__gt__,
        "lte": bound.__ge__,
        "gt": bound.__lt__,
        "gte": bound.__le__,
    }[condition.op]
    return lambda r: r.renewal_date is not None and compare(r.renewal_date[:10])


def matches(selector: Selector, record: NumberRecord, today: date) -> bool:
    """True if `record` meets every condition of `selector`, pushed-down ones included."""
    return Predicate(selector, today)(record)


class Fetch(Protocol):
    """The two reads selection needs; bulkops.client.PlivoClient provides both."""

    def iter_numbers(self, query: Mapping[str, str]) -> AsyncIterator[NumberRecord]: ...

    async def get_number(self, number: str) -> NumberRecord: ...


@dataclass(frozen=True, slots=True)
class Selection:
    """What each rule selected, keyed by rule name in plan order; records may be shared."""

    matched: Mapping[str, Sequence[NumberRecord]]
    listings: int = 0  # distinct list queries run
    lookups: int = 0  # single-number GETs
    missing: tuple[tuple[str, str], ...] = ()  # (rule, number) named in a plan but not rented


async def select(
    plan: Plan,
    fetch: Fetch,
    today: date,
    *,
    not_found: type[Exception] = LookupError,
    listing_concurrency: int = 2,
    lookup_concurrency: int = 8,
) -> Selection:
    """Run the fewest reads that answer every rule, and filter each record by its rules.

    Rules that name their numbers are answered by one GET per number (`not_found` from
    `get_number` means the number is not rented: reported in `missing`); every other rule by a
    listing shared with the rules whose pushed-down filters are the same or narrower.
    """
    matched: dict[str, list[NumberRecord]] = {rule.name: [] for rule in plan.rules}
    explicit = [rule for rule in plan.rules if rule.select.numbers is not None]
    by_query = _listings(
        (rule, pushdown(rule.select, today)) for rule in plan.rules if rule.select.numbers is None
    )

    listing = _Listing(fetch, plan, today, matched)
    lookup = _Lookup(fetch, plan, today, matched, not_found)
    limiter = anyio.CapacityLimiter(listing_concurrency)
    try:
        async with anyio.create_task_group() as group:
            for query, rules in by_query.items():
                group.start_soon(listing.run, query, rules, limiter)
            group.start_soon(lookup.run, explicit, lookup_concurrency)
    except BaseExceptionGroup as errors:
        # One failed read (bad credentials, say) fails the selection; show that error, not a group.
        raise _first_error(errors) from errors
    return Selection(
        matched=matched,
        listings=len(by_query),
        lookups=lookup.requests,
        missing=tuple(lookup.missing),
    )


def _listings(wanted: Iterable[tuple[Rule, Query]]) -> dict[Query, list[Rule]]:
    """Group rules by the listing that serves them.

    A listing whose filters are a subset of another's returns a superset of its numbers, and every
    record is filtered client-side anyway, so the narrower rules ride along and save a listing.
    """
    by_query: dict[Query, list[Rule]] = {}
    for rule, query in wanted:
        by_query.setdefault(query, []).append(rule)
    served: dict[Query, list[Rule]] = {}
    for query in sorted(by_query, key=lambda q: len(q.params)):
        wider = next((q for q in served if set(q.params) <= set(query.params)), query)
        served.setdefault(wider, []).extend(by_query[query])
    return served


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_error(first) if isinstance(first, BaseExceptionGroup) else first


class _Listing:
    """One listing per distinct Query, each record offered to every rule sharing that Query."""

    def __init__(
        self, fetch: Fetch, plan: Plan, today: date, matched: dict[str, list[NumberRecord]]
    ) -> None:
        self._fetch = fetch
        self._plan = plan
        self._today = today
        self._matched = matched

    async def run(self, query: Query, rules: list[Rule], limiter: anyio.CapacityLimiter) -> None:
        tests = [
            (Predicate(rule.select, self._today, self._plan.exclude), self._matched[rule.name])
            for rule in rules
        ]
        # Offset paging over a changing account can repeat a number; select it once.
        seen: set[str] = set()
        async with limiter:
            async for record in self._fetch.iter_numbers(query.as_dict()):
                if record.number in seen:
                    continue
                seen.add(record.number)
                for predicate, out in tests:
                    if predicate(record):
                        out.append(record)


class _Lookup:
    """One GET per distinct explicit number, shared by every rule that names it."""

    def __init__(
        self,
        fetch: Fetch,
        plan: Plan,
        today: date,
        matched: dict[str, list[NumberRecord]],
        not_found: type[Exception],
    ) -> None:
        self._fetch = fetch
        self._plan = plan
        self._today = today
        self._matched = matched
        self._not_found = not_found
        self._found: dict[str, NumberRecord | None] = {}
        self.requests = 0
        self.missing: list[tuple[str, str]] = []

    async def run(self, rules: list[Rule], concurrency: int) -> None:
        wanted = _wanted_numbers(rules, self._plan.exclude)
        pending = iter(wanted)  # shared by the workers: next() never awaits, so no races
        async with anyio.create_task_group() as group:
            for _ in range(min(concurrency, len(wanted))):
                group.start_soon(self._worker, pending)
        for rule in rules:
            predicate = Predicate(rule.select, self._today, self._plan.exclude)
            out = self._matched[rule.name]
            skip = rule.select.exclude | self._plan.exclude
            for number in dict.fromkeys(rule.select.numbers or ()):
                if number in skip:
                    continue
                record = self._found[number]
                if record is None:
                    self.missing.append((rule.name, number))
                elif predicate(record):
                    out.append(record)

    async def _worker(self, pending: Iterable[str]) -> None:
        for number in pending:
            self.requests += 1
            try:
                self._found[number] = await self._fetch.get_number(number)
            except self._not_found:
                self._found[number] = None


def _wanted_numbers(rules: Iterable[Rule], plan_exclude: frozenset[str]) -> list[str]:
    """Every number some rule names and does not exclude, once, in first-named order."""
    wanted: dict[str, None] = {}
    for rule in rules:
        skip = rule.select.exclude | plan_exclude
        for number in rule.select.numbers or ():
            if number not in skip:
                wanted[number] = None
    return list(wanted)
