"""Selection: which rented numbers each rule of a plan selects, with the fewest reads.

Rules that name their numbers are answered the cheapest way their count allows (`current`: one
GET per number, or the whole account listed when that takes fewer requests); every other rule by
a listing with its conditions pushed down (`query`), shared with the rules whose filters are the
same or narrower, each record then tested by the rule's full `predicate`. The listings are kept
with their totals (`Selection.listed`), so that a saved plan can re-read its numbers cheaply.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import anyio

from bulkops.client import Listing
from bulkops.errors import first_error
from bulkops.numbers import NumberRecord
from bulkops.pace.inflight import UNMEASURED, Allowance
from bulkops.plan import Plan, Rule
from bulkops.selection.current import current_state
from bulkops.selection.predicate import Predicate
from bulkops.selection.progress import Listings, PageProgress, Progress, quiet
from bulkops.selection.query import Counted, Query, pushdown
from bulkops.selection.screen import Evidence, Kept, screen
from bulkops.selection.usage import Seen, Source, TrafficReads, UsageStats


class Fetch(TrafficReads, Protocol):
    """The reads selection needs; `bulkops.account.Reads` provides them all."""

    async def listed(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        on_page: PageProgress | None = None,
    ) -> Listing:
        """The records of one complete, consistent listing of `query` that `keep` accepts.

        `on_page(received, total)`, when given, hears how far the listing is.
        """
        ...

    async def get_number(self, number: str) -> NumberRecord: ...

    async def total(self, query: Mapping[str, str]) -> int:
        """How many numbers match `query` (one `limit=1` request)."""
        ...


@dataclass(frozen=True, slots=True)
class Selection:
    """What each rule selected, keyed by rule name in plan order; records may be shared."""

    matched: Mapping[str, Sequence[NumberRecord]]
    listings: int = 0  # distinct list queries run
    lookups: int = 0  # single-number GETs
    missing: tuple[tuple[str, str], ...] = ()  # (rule, number) named in a plan but not rented
    # Usage rules only: why each selected number counts as unused; what was kept, and why.
    evidence: Mapping[str, Mapping[str, Evidence]] = field(default_factory=dict)
    kept: tuple[Kept, ...] = ()
    seen: Mapping[Source, Mapping[str, Seen]] = field(default_factory=dict)  # to remember
    usage: UsageStats = field(default_factory=UsageStats)
    listed: tuple[Counted, ...] = ()  # the listings run, with their totals, in plan order


async def select(
    plan: Plan,
    fetch: Fetch,
    today: date,
    *,
    not_found: type[Exception] = LookupError,
    listing_concurrency: int = 2,
    lookup_concurrency: int | Allowance = UNMEASURED,
    now: datetime.datetime | None = None,
    known: Mapping[Source, Mapping[str, Seen]] | None = None,
    progress: Progress | None = None,
) -> Selection:
    """Run the fewest reads that answer every rule, and filter each record by its rules.

    Rules that name their numbers are answered by one GET per number (`not_found` from
    `get_number` means the number is not rented: reported in `missing`); every other rule by a
    listing shared with the rules whose pushed-down filters are the same or narrower. Then
    unrent rules' guards keep what they protect, and usage is read for `unused_for` rules
    (`known`: what earlier runs read; `now`: the moment "the last N days" end).
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
    screened = await screen(
        plan,
        matched,
        fetch,
        today,
        now or datetime.datetime.now(datetime.UTC),
        known or {},
        concurrency=lookup_concurrency,
        progress=progress,
    )
    return Selection(
        matched=screened.matched,
        listings=len(by_query),
        lookups=lookup.requests,
        missing=tuple(lookup.missing),
        evidence=screened.evidence,
        kept=screened.kept,
        seen=screened.seen,
        usage=screened.usage,
        listed=tuple(listing.counted[query] for query in by_query),
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
        self.counted: dict[Query, Counted] = {}

    async def run(self, query: Query, rules: list[Rule], limiter: anyio.CapacityLimiter) -> None:
        tests = [
            (Predicate(rule.select, self._today, self._plan.exclude), self._matched[rule.name])
            for rule in rules
        ]
        on_page = self._listings.page_progress()
        async with limiter:
            listing = await self._fetch.listed(
                query.as_dict(), lambda record: any(test(record) for test, _ in tests), on_page
            )
        self.counted[query] = Counted(query, listing.total_count, tuple(r.name for r in rules))
        # A listing holds each number once; a careless server could still repeat one.
        seen: set[str] = set()
        for record in listing.records:
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
        self._found: dict[str, NumberRecord | None] = {}
        self.requests = 0
        self.missing: list[tuple[str, str]] = []

    async def run(self, rules: list[Rule], concurrency: int | Allowance) -> None:
        wanted = _wanted_numbers(rules, self._plan.exclude)
        found = await current_state(
            _Counting(self._fetch, self),
            wanted,
            concurrency=concurrency,
            not_found=self._not_found,
            progress=self._progress,
            phase="looking up",
        )
        self._found = {number: found.get(number) for number in wanted}
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


class _Counting:
    """The reads of `fetch`, counting the GETs into `lookup.requests`."""

    def __init__(self, fetch: Fetch, lookup: _Lookup) -> None:
        self._fetch = fetch
        self._lookup = lookup

    async def listed(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        on_page: PageProgress | None = None,
    ) -> Listing:
        return await self._fetch.listed(query, keep, on_page)

    async def total(self, query: Mapping[str, str]) -> int:
        return await self._fetch.total(query)

    async def get_number(self, number: str) -> NumberRecord:
        self._lookup.requests += 1
        return await self._fetch.get_number(number)


def _wanted_numbers(rules: Iterable[Rule], plan_exclude: frozenset[str]) -> list[str]:
    """Every number some rule names and does not exclude, once, in first-named order."""
    wanted: dict[str, None] = {}
    for rule in rules:
        skip = rule.select.exclude | plan_exclude
        for number in rule.select.numbers or ():
            if number not in skip:
                wanted[number] = None
    return list(wanted)
