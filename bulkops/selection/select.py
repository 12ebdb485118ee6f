"""Selection: which rented numbers each rule of a plan selects, with the fewest reads.

Rules that name their numbers are answered by one GET per number; every other rule by a listing
with its conditions pushed down (`query`), shared with the rules whose filters are the same or
narrower, each record then tested by the rule's full `predicate`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import anyio

from bulkops.errors import first_error
from bulkops.limits import DEFAULT_CONCURRENCY
from bulkops.numbers import NumberRecord
from bulkops.plan import Plan, Rule
from bulkops.selection.predicate import Predicate
from bulkops.selection.progress import Listings, PageProgress, Progress, quiet
from bulkops.selection.query import Query, pushdown


class Fetch(Protocol):
    """The two reads selection needs; `bulkops.account.Reads` provides both."""

    async def listed(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        on_page: PageProgress | None = None,
    ) -> list[NumberRecord]:
        """The records of one complete, consistent listing of `query` that `keep` accepts.

        `on_page(received, total)`, when given, hears how far the listing is.
        """
        ...

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
    lookup_concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
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

    shown = progress or quiet
    listing = _Listing(fetch, plan, today, matched, Listings(shown, "listing"))
    lookup = _Lookup(fetch, plan, today, matched, not_found, shown)
    limiter = anyio.CapacityLimiter(listing_concurrency)
    try:
        async with anyio.create_task_group() as group:
            for query, rules in by_query.items():
                group.start_soon(listing.run, query, rules, limiter)
            group.start_soon(lookup.run, explicit, lookup_concurrency)
    except BaseExceptionGroup as errors:
        # One failed read (bad credentials, say) fails the selection; show that error, not a group.
        raise first_error(errors) from errors
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


class _Listing:
    """One listing per distinct Query, each record offered to every rule sharing that Query."""

    def __init__(
        self,
        fetch: Fetch,
        plan: Plan,
        today: date,
        matched: dict[str, list[NumberRecord]],
        listings: Listings,
    ) -> None:
        self._fetch = fetch
        self._plan = plan
        self._today = today
        self._matched = matched
        self._listings = listings

    async def run(self, query: Query, rules: list[Rule], limiter: anyio.CapacityLimiter) -> None:
        tests = [
            (Predicate(rule.select, self._today, self._plan.exclude), self._matched[rule.name])
            for rule in rules
        ]
        on_page = self._listings.page_progress()
        async with limiter:
            listed = await self._fetch.listed(
                query.as_dict(), lambda record: any(test(record) for test, _ in tests), on_page
            )
        # A listing holds each number once; a careless server could still repeat one.
        seen: set[str] = set()
        for record in listed:
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
        progress: Progress,
    ) -> None:
        self._fetch = fetch
        self._plan = plan
        self._today = today
        self._matched = matched
        self._not_found = not_found
        self._progress = progress
        self._wanted = 0
        self._found: dict[str, NumberRecord | None] = {}
        self.requests = 0
        self.missing: list[tuple[str, str]] = []

    async def run(self, rules: list[Rule], concurrency: int) -> None:
        wanted = _wanted_numbers(rules, self._plan.exclude)
        self._wanted = len(wanted)
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
            self._progress("looking up", len(self._found), self._wanted)


def _wanted_numbers(rules: Iterable[Rule], plan_exclude: frozenset[str]) -> list[str]:
    """Every number some rule names and does not exclude, once, in first-named order."""
    wanted: dict[str, None] = {}
    for rule in rules:
        skip = rule.select.exclude | plan_exclude
        for number in rule.select.numbers or ():
            if number not in skip:
                wanted[number] = None
    return list(wanted)
