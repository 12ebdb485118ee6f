"""Plivo's list envelope, and walking every page of a listing with a bounded look-ahead window.

Plivo pages by `limit` (at most 20) and `offset` (in items). bulkops keeps its own filters and
counts offsets itself rather than following `meta.next`, which carries only limit and offset.

A listing is complete only when every page is as long as `meta.total_count` says it must be and
the numbers received add up to it: a short page is fetched again, and a listing that cannot be
made to add up raises ListingError (ListingChanged when the account changed under it, so that a
caller may walk it again). Records whose number could not safely go into a URL are counted as
malformed and skipped, never yielded.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from bulkops import logs
from bulkops.errors import ListingError
from bulkops.numbers import InvalidNumberError, NumberRecord, check_number

log = logs.get_logger("bulkops.listing")

MAX_PAGE_SIZE: Final = 20
# Number fields with few distinct values across an account: kept once, shared by every record.
SHARED_KEYS: Final = (
    "number_type",
    "sub_account",
    "renewal_date",
    "region",
    "cnam_lookup",
    "tendlc_campaign_id",
    "tendlc_registration_status",
    "toll_free_sms_verification",
    "caller_reputation_status",
    "added_on",
    "monthly_rental_rate",
    "cnam",
    "profile_uuid",
)

READ_AHEAD: Final = 4  # pages held ahead of the reader, as a multiple of those in flight
SHORT_PAGE_TRIES: Final = 3  # a page that comes back short is asked for this many times in all

FetchPage = Callable[[int, int], Awaitable["NumberPage"]]  # (limit, offset) → page
PageAttempt = Callable[[Callable[[], Awaitable["NumberPage"]]], Awaitable["NumberPage"]]
# Pages fetched ahead at once: a count, or a callable asked before each fetch (so the window
# follows the run's in-flight allowance as latency changes).
PageConcurrency = int | Callable[[], int]


@dataclass(frozen=True, slots=True)
class NumberPage:
    """One page of `GET …/Number/`: the records and where they sit in the whole listing."""

    total_count: int
    records: list[NumberRecord]
    limit: int
    offset: int
    received: int = -1  # objects on the page, malformed ones included (-1: as many as records)
    malformed: tuple[str, ...] = ()  # why each skipped object was refused

    @property
    def length(self) -> int:
        return len(self.records) if self.received < 0 else self.received


@dataclass(frozen=True, slots=True)
class Listing:
    """The records of one complete listing that a caller kept, and the total it walked."""

    records: list[NumberRecord]
    total_count: int


class ListingChanged(ListingError):
    """The account changed while it was being listed (its total moved): walk it again."""


@dataclass
class ListingStats:
    """What one listing saw, for progress views and for the caller's own checks."""

    total: int | None = None  # the server's newest meta.total_count
    received: int = 0  # objects received, malformed ones included
    yielded: int = 0
    malformed: int = 0
    pages: int = 0
    refetched: int = 0
    walks: int = 0

    def begin_walk(self) -> None:
        """Forget what an abandoned walk saw (pages and refetches are costs, and stay)."""
        self.total, self.received, self.yielded, self.malformed = None, 0, 0, 0
        self.walks += 1


@dataclass(frozen=True, slots=True)
class Envelope:
    """The parts of a list response bulkops relies on; objects are left raw."""

    total_count: int
    limit: int
    objects: list[dict[str, Any]]


def parse_envelope(body: Any, requested_limit: int) -> Envelope:
    """Check the list envelope's shape; raise ValueError saying what is missing."""
    if not isinstance(body, dict):
        raise ValueError("list response is not a JSON object")
    meta, objects = body.get("meta"), body.get("objects")
    if not isinstance(meta, dict):
        raise ValueError("list response has no meta")
    total = meta.get("total_count")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise ValueError("list response has no usable meta.total_count")
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise ValueError("list response has no objects array")
    limit = meta.get("limit")
    if not isinstance(limit, int) or limit <= 0:
        limit = requested_limit
    return Envelope(total_count=total, limit=limit, objects=objects)


def to_records(objects: list[dict[str, Any]]) -> tuple[list[NumberRecord], tuple[str, ...]]:
    """NumberRecords from Plivo objects, and why each object that is not usable was skipped.

    A number must be 8-15 ASCII digits before it may go into a URL path. The objects' values of
    `SHARED_KEYS` are replaced by interned strings on the way.
    """
    records: list[NumberRecord] = []
    refused: list[str] = []
    for obj in objects:
        try:
            check_number(obj.get("number"))
            records.append(NumberRecord.from_api(_share(obj)))
        except (InvalidNumberError, KeyError, TypeError) as exc:
            refused.append(str(exc)[:120])
    return records, tuple(refused)


def _share(obj: dict[str, Any]) -> dict[str, Any]:
    # JSON decoding makes a new string for every value: without this, 300k numbers carry 300k
    # copies of "local", of each renewal date and region, a third of the inventory's memory.
    for key in SHARED_KEYS:
        value = obj.get(key)
        if type(value) is str:
            obj[key] = sys.intern(value)
    return obj


async def walk_pages(
    fetch: FetchPage,
    attempt: PageAttempt,
    concurrency: PageConcurrency,
    stats: ListingStats | None = None,
) -> AsyncGenerator[NumberRecord, None]:
    """Yield every record of a listing once, in server order, or raise ListingError.

    The first page sets the page size and the expected total; later pages are fetched up to
    `concurrency` at a time (re-read before each fetch when it is a callable) and yielded in
    order, so at most `concurrency + 1` pages are held.
    Offsets are planned from the newest total seen; numbers already yielded are skipped (items
    shift when the account changes mid-listing), and the walk checks that what it received adds
    up to the total (see the module docstring).
    """
    stats = stats if stats is not None else ListingStats()
    walk = _Walk(fetch, attempt, stats)
    first = await walk.page(MAX_PAGE_SIZE, 0)
    size = min(first.limit, MAX_PAGE_SIZE) if first.limit > 0 else MAX_PAGE_SIZE
    for record in walk.fresh(first):
        yield record
    if first.length == size and size < first.total_count:
        window = _Window(walk, size, concurrency, first.total_count)
        try:
            while (page := await window.next_page()) is not None:
                for record in walk.fresh(page):
                    yield record
        finally:
            await window.cancel()
    walk.check_complete()


class _Walk:
    """The checks of one listing: page lengths, repeats, and the total it must add up to."""

    def __init__(self, fetch: FetchPage, attempt: PageAttempt, stats: ListingStats) -> None:
        self._fetch = fetch
        self._attempt = attempt
        self.stats = stats
        self._seen: set[str] = set()
        self._totals: set[int] = set()

    async def page(self, size: int, offset: int) -> NumberPage:
        """The page at `offset`, fetched again while it is shorter than its total says."""
        for _ in range(SHORT_PAGE_TRIES):
            page = await self._attempt(lambda: self._fetch(size, offset))
            self.stats.pages += 1
            expected = max(0, min(size, page.total_count - offset))
            if page.length > expected:
                raise ListingError(
                    f"the listing is inconsistent: the page at offset {offset} holds "
                    f"{page.length} numbers, more than its total of {page.total_count} allows"
                )
            if page.length == expected:
                return page
            self.stats.refetched += 1
            log.warning("short_page", offset=offset, got=page.length, expected=expected)
        raise ListingError(
            f"the listing came back incomplete: the page at offset {offset} held {page.length} "
            f"of {expected} numbers, {SHORT_PAGE_TRIES} times; nothing was changed, try again later"
        )

    def fresh(self, page: NumberPage) -> Iterator[NumberRecord]:
        """The page's records not yielded before; a full page of repeats means the server loops."""
        stats = self.stats
        stats.total = page.total_count
        self._totals.add(page.total_count)
        stats.received += page.length
        stats.malformed += len(page.malformed)
        for reason in page.malformed:
            log.warning("malformed_record", offset=page.offset, reason=reason)
        new = [record for record in page.records if record.number not in self._seen]
        if page.records and not new:
            raise ListingError(
                f"the listing repeats itself: the page at offset {page.offset} holds only "
                "numbers already listed; the server's total_count cannot be trusted"
            )
        for record in new:
            self._seen.add(record.number)
            stats.yielded += 1
            yield record

    def check_complete(self) -> None:
        stats = self.stats
        if len(self._totals) > 1:
            raise ListingChanged(
                "the account changed while it was being listed (its total went from "
                f"{min(self._totals)} to {max(self._totals)}); nothing was changed"
            )
        counted = stats.yielded + stats.malformed
        if stats.total is not None and counted != stats.total:
            raise ListingError(
                f"the listing does not add up: {counted} numbers received where the server "
                f"reports {stats.total}; nothing was changed, try again later"
            )


def _constant(count: int) -> Callable[[], int]:
    return lambda: count


class _Window:
    """Pages after the first, fetched ahead of the reader but never more than `concurrency`."""

    def __init__(self, walk: _Walk, size: int, concurrency: PageConcurrency, total: int) -> None:
        self._walk = walk
        self._size = size
        self._allowed = _constant(concurrency) if isinstance(concurrency, int) else concurrency
        self._end = total
        self._next_offset = size
        self._pending: deque[asyncio.Future[NumberPage]] = deque()
        self._in_flight = 0  # fetches not finished yet, whether the reader waits on them or not
        self._done = False

    async def next_page(self) -> NumberPage | None:
        """The next page in order, or None when the listing is exhausted."""
        self._fill()
        if self._done or not self._pending:
            return None
        page = await self._pending.popleft()
        # Trust the newest count: numbers added during the walk are still reached.
        self._end = page.total_count
        if page.length < self._size:
            self._done = True
        return page

    def _fill(self) -> None:
        # In flight, not merely unread, is what the allowance counts: a slow page at the head
        # must not hold back the fetches behind it. Read-ahead is still bounded, for memory.
        allowed = max(1, self._allowed())
        while (
            not self._done
            and self._in_flight < allowed
            and len(self._pending) < allowed * READ_AHEAD
            and self._next_offset < self._end
        ):
            offset = self._next_offset
            self._next_offset += self._size
            fetch = asyncio.ensure_future(self._walk.page(self._size, offset))
            fetch.add_done_callback(self._refill)
            self._pending.append(fetch)
            self._in_flight += 1

    def _refill(self, fetch: asyncio.Future[NumberPage]) -> None:
        self._in_flight -= 1
        if not fetch.cancelled():
            self._fill()

    async def cancel(self) -> None:
        """Stop fetches nobody will read; collect their outcomes so none is reported as lost."""
        self._done = True  # no refill from a fetch finishing now
        pending = list(self._pending)
        self._pending.clear()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
