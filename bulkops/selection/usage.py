"""Usage evidence: whether a number had a call or a message since a moment, read at the lowest cost.

Plivo keeps no "last used" on a number: use is read from its call and message records. For each
source (calls, or messages of some types) bulkops either probes every number (a `limit=1` query
per direction and 30-day window, newest window first, stopping at the first record) or scans the
source account-wide over the period, whichever costs fewer requests: the scan's cost is known
from a `total_count` probe of each window before it is walked.

What was read is remembered (`Seen`, kept across runs by `usage_cache`), so the next run reads
only what is new. The list order of Plivo's records is not documented, so nothing here depends on
it: a probe's record proves a use at its time; only a scan, which sees every record, proves the
newest one.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from bulkops.client import MAX_PAGE_SIZE
from bulkops.client.traffic import (
    TIME_FIELD,
    Traffic,
    TrafficPage,
    TrafficRecord,
    filter_time,
)
from bulkops.errors import ListingError
from bulkops.numbers import CALL_WINDOW_DAYS
from bulkops.pace.inflight import UNMEASURED, Allowance
from bulkops.pace.pool import run_pool
from bulkops.plan import Usage
from bulkops.selection.progress import Progress, quiet

# Records can land a little after the moment they carry: re-read the end of what was read before.
OVERLAP: Final = datetime.timedelta(minutes=10)
CALL_WINDOW: Final = datetime.timedelta(days=CALL_WINDOW_DAYS)
DIRECTIONS: Final = ("to_number", "from_number")  # inbound to the number, outbound from it
EPSILON: Final = datetime.timedelta(microseconds=1)


class TrafficReads(Protocol):
    """The one read usage needs; `bulkops.account.Reads` provides it (paced and retried)."""

    async def traffic_page(
        self, traffic: Traffic, query: Mapping[str, str], limit: int, offset: int
    ) -> TrafficPage: ...


@dataclass(frozen=True, slots=True)
class Source:
    """One kind of record that counts as use: calls, or messages (of one type, or any)."""

    traffic: Traffic
    message_type: str | None = None

    @property
    def key(self) -> str:
        return self.traffic if self.message_type is None else f"{self.traffic}:{self.message_type}"

    @classmethod
    def from_key(cls, key: str) -> Source:
        traffic, _, message_type = key.partition(":")
        if traffic not in ("calls", "messages") or (message_type and traffic != "messages"):
            raise ValueError(f"not a usage source: {key!r}")
        return cls(traffic, message_type or None)  # type: ignore[arg-type]

    def windows(
        self, since: datetime.datetime, until: datetime.datetime
    ) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """[since, until] in the spans one query may cover, newest first.

        The Call list answers at most 30 days per query; the Message list has no maximum.
        """
        if self.traffic == "messages":
            return [(since, until)]
        spans = []
        high = until
        while high > since:
            low = max(since, high - CALL_WINDOW)
            spans.append((low, high))
            high = low
        return spans or [(since, until)]

    def query(self, low: datetime.datetime, high: datetime.datetime) -> dict[str, str]:
        field = TIME_FIELD[self.traffic]
        query = {f"{field}__gte": filter_time(low), f"{field}__lte": filter_time(high)}
        if self.message_type is not None:
            query["message_type"] = self.message_type
        return query

    def spell(self, number: str) -> str:
        # The Message list asks for E.164 with "+"; the Call list matches a prefix of digits.
        return "+" + number if self.traffic == "messages" else number


def sources_of(usage: Usage) -> tuple[Source, ...]:
    """The sources whose records count as use under `usage`."""
    sources = [Source("calls")] if usage.calls else []
    types = usage.message_types
    if len(types) == 1:
        sources.append(Source("messages", types[0]))
    elif types:
        sources.append(Source("messages"))  # every type, whatsapp included: use all the same
    return tuple(sources)


@dataclass(frozen=True, slots=True)
class Seen:
    """What is known of one number's records of one source, up to `to`.

    `last` is a use seen (None: none seen); `quiet_since` starts a span up to `to` with no record
    at all (None: no such span known).
    """

    to: datetime.datetime
    last: datetime.datetime | None = None
    quiet_since: datetime.datetime | None = None

    def used_since(self, since: datetime.datetime) -> bool:
        return self.last is not None and self.last >= since

    def quiet_from(self, since: datetime.datetime) -> bool:
        return self.quiet_since is not None and self.quiet_since <= since

    def read_from(self, since: datetime.datetime) -> datetime.datetime | None:
        """Where a read must start to tell use since `since` (None: no read needed)."""
        if self.used_since(since):
            return None
        if self.quiet_from(since):
            return max(since, self.to - OVERLAP)
        return since

    def then(self, read: Seen, read_from: datetime.datetime) -> Seen:
        """This, followed by what a read from `read_from` up to `read.to` found."""
        last = latest((self.last, read.last))
        quiet = read.quiet_since
        contiguous = read_from <= self.to + EPSILON
        if quiet is not None and quiet <= read_from and contiguous and self.quiet_since:
            quiet = min(self.quiet_since, quiet)
        return Seen(read.to, last, quiet)


@dataclass(frozen=True, slots=True)
class UsageStats:
    requests: int = 0
    probed: int = 0  # numbers probed one by one
    scanned: int = 0  # records read by account-wide scans
    cached: int = 0  # numbers answered, in whole or in part, from what earlier runs read

    def __add__(self, other: UsageStats) -> UsageStats:
        return UsageStats(
            self.requests + other.requests,
            self.probed + other.probed,
            self.scanned + other.scanned,
            self.cached + other.cached,
        )


async def gather(
    wanted: Mapping[Source, Mapping[str, datetime.datetime]],
    reads: TrafficReads,
    now: datetime.datetime,
    known: Mapping[Source, Mapping[str, Seen]],
    *,
    concurrency: int | Allowance = UNMEASURED,
    progress: Progress = quiet,
) -> tuple[dict[Source, dict[str, Seen]], UsageStats]:
    """What each wanted number's records show since its moment, by source.

    `known` holds what earlier reads found; the result holds an up-to-date `Seen` for every
    wanted number of a source, to be remembered in turn, except numbers an earlier source
    already showed in use: those are not read again.
    """
    gatherer = _Gatherer(reads, now, concurrency, progress)
    results: dict[Source, dict[str, Seen]] = {}
    used: set[str] = set()
    # Calls first: they are read at the account's rate, and a number a call shows in use needs
    # none of the Message list's 20 requests a minute.
    for source in sorted(wanted, key=lambda s: s.key):
        since = {n: moment for n, moment in wanted[source].items() if n not in used}
        seen = await gatherer.source(source, since, known.get(source, {}))
        used.update(n for n, found in seen.items() if found.used_since(since[n]))
        results[source] = seen
    return results, gatherer.stats()


class _Gatherer:
    def __init__(
        self,
        reads: TrafficReads,
        now: datetime.datetime,
        concurrency: int | Allowance,
        progress: Progress,
    ) -> None:
        self._reads = reads
        self._now = now
        self._concurrency = concurrency
        self._progress = progress
        self.requests = 0
        self.probed = 0
        self.scanned = 0
        self.cached = 0
        self._expected: int | None = None

    def stats(self) -> UsageStats:
        return UsageStats(self.requests, self.probed, self.scanned, self.cached)

    async def source(
        self, source: Source, since: Mapping[str, datetime.datetime], known: Mapping[str, Seen]
    ) -> dict[str, Seen]:
        now = self._now
        # A reading that ends after now was written by a clock ahead of this one: trust none.
        trusted = {n: b for n in since if (b := known.get(n)) is not None and b.to <= now}
        seen: dict[str, Seen] = {}
        to_read: dict[str, datetime.datetime] = {}
        for number, moment in since.items():
            before = trusted.get(number)
            start = moment if before is None else before.read_from(moment)
            if start is None and before is not None:
                seen[number] = before
                self.cached += 1
            elif start is not None:
                to_read[number] = start
                self.cached += start > moment  # only the part since the last read is read
        if to_read:
            found = await self._read(source, to_read)
            for number, start in to_read.items():
                before, read = trusted.get(number), found[number]
                seen[number] = read if before is None else before.then(read, start)
        return seen

    async def _read(
        self, source: Source, start: Mapping[str, datetime.datetime]
    ) -> dict[str, Seen]:
        now = self._now
        probe_cost = sum(2 * len(source.windows(s, now)) for s in start.values())
        windows = source.windows(min(start.values()), now)
        if probe_cost <= len(windows):
            return await self._probe_all(source, start, probe_cost)
        firsts = [await self._page(source, source.query(*w), 0) for w in windows]
        scan_cost = sum(max(1, math.ceil(page.total_count / MAX_PAGE_SIZE)) for page in firsts)
        if scan_cost - len(windows) < probe_cost:
            return await self._scan(source, start, windows, firsts, scan_cost)
        return await self._probe_all(source, start, probe_cost)

    # Per-number probes

    async def _probe_all(
        self, source: Source, start: Mapping[str, datetime.datetime], cost: int
    ) -> dict[str, Seen]:
        self._expected = self.requests + cost
        found: dict[str, Seen] = {}

        async def probe(item: tuple[str, datetime.datetime]) -> None:
            number, moment = item
            found[number] = await self._probe(source, number, moment)

        await run_pool(
            iter(start.items()), probe, concurrency=self._concurrency, stopping=lambda: False
        )
        self.probed += len(start)
        return found

    async def _probe(self, source: Source, number: str, start: datetime.datetime) -> Seen:
        """Newest window first, both directions; stop at the first record of the number."""
        for low, high in source.windows(start, self._now):
            for direction in DIRECTIONS:
                query = {**source.query(low, high), direction: source.spell(number)}
                used = await self._first_of(source, query, direction, number)
                if used is not None:
                    return Seen(self._now, used, high + EPSILON if high < self._now else None)
        return Seen(self._now, None, start)

    async def _first_of(
        self, source: Source, query: Mapping[str, str], direction: str, number: str
    ) -> datetime.datetime | None:
        """The time of a record of exactly `number` among `query`'s, if there is one.

        The Call list matches a prefix, so a longer number may answer: then the pages are read
        until one of `number`'s own records shows up.
        """
        page = await self._page(source, query, 0, limit=1)
        hit = _exact(page, direction, number)
        if hit is not None or page.total_count <= len(page.records):
            return hit
        for offset in range(len(page.records), page.total_count, MAX_PAGE_SIZE):
            page = await self._page(source, query, offset)
            hit = _exact(page, direction, number)
            if hit is not None or not page.records:
                return hit
        return None

    # Account-wide scans

    async def _scan(
        self,
        source: Source,
        start: Mapping[str, datetime.datetime],
        windows: list[tuple[datetime.datetime, datetime.datetime]],
        firsts: list[TrafficPage],
        cost: int,
    ) -> dict[str, Seen]:
        self._expected = self.requests + cost - len(windows)
        newest: dict[str, datetime.datetime] = {}
        for window, first in zip(windows, firsts, strict=True):
            for record in await self._walk(source, source.query(*window), first):
                for party in (record.to_number, record.from_number):
                    moment = start.get(party)
                    if moment is None or record.at < moment:
                        continue
                    if party not in newest or record.at > newest[party]:
                        newest[party] = record.at
        return {
            number: Seen(
                self._now,
                newest.get(number),
                newest[number] + EPSILON if number in newest else moment,
            )
            for number, moment in start.items()
        }

    async def _walk(
        self, source: Source, query: Mapping[str, str], first: TrafficPage
    ) -> list[TrafficRecord]:
        """Every record of one window: the pages after `first`, fetched side by side."""
        pages: dict[int, TrafficPage] = {0: first}

        async def fetch(offset: int) -> None:
            pages[offset] = await self._page(source, query, offset)

        offsets = range(MAX_PAGE_SIZE, first.total_count, MAX_PAGE_SIZE)
        await run_pool(iter(offsets), fetch, concurrency=self._concurrency, stopping=lambda: False)
        records: dict[str, TrafficRecord] = {}
        for page in pages.values():
            for record in page.records:
                records.setdefault(record.uuid, record)
        if len(records) < first.total_count:
            raise ListingError(
                f"Plivo's {source.traffic} list came back incomplete: {len(records)} of "
                f"{first.total_count} records; no number is called unused on a partial view"
            )
        self.scanned += len(records)
        return list(records.values())

    async def _page(
        self, source: Source, query: Mapping[str, str], offset: int, limit: int = MAX_PAGE_SIZE
    ) -> TrafficPage:
        page = await self._reads.traffic_page(source.traffic, query, limit, offset)
        self.requests += 1
        self._progress("usage", self.requests, self._expected)
        if page.unreadable:
            raise ListingError(
                f"Plivo's {source.traffic} list returned {page.unreadable} record(s) without a "
                "readable time or numbers; usage cannot be told from them"
            )
        return page


def _exact(page: TrafficPage, direction: str, number: str) -> datetime.datetime | None:
    for record in page.records:
        party = record.to_number if direction == "to_number" else record.from_number
        if party == number:
            return record.at
    return None


def aware_time(value: object) -> datetime.datetime | None:
    """An ISO 8601 time bulkops wrote, in UTC (None stays None); ValueError if it is not one."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r:.40}")
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"a time without its zone: {value!r:.40}")
    return moment.astimezone(datetime.UTC)


def json_time(moment: datetime.datetime | None) -> str | None:
    """A time as bulkops's JSON shapes write it: `2026-10-03T14:00:00Z` (None stays None)."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def latest(times: Iterable[datetime.datetime | None]) -> datetime.datetime | None:
    return max((t for t in times if t is not None), default=None)
