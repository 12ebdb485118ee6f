"""Plivo's list envelope, and walking every page of a listing with a bounded look-ahead window.

Plivo pages by `limit` (at most 20) and `offset` (in items). bulkops keeps its own filters and
counts offsets itself rather than following `meta.next`, which carries only limit and offset.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from bulkops.numbers import NumberRecord

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
)

FetchPage = Callable[[int, int], Awaitable["NumberPage"]]  # (limit, offset) → page
PageAttempt = Callable[[Callable[[], Awaitable["NumberPage"]]], Awaitable["NumberPage"]]


@dataclass(frozen=True, slots=True)
class NumberPage:
    """One page of `GET …/Number/`: the records and where they sit in the whole listing."""

    total_count: int
    records: list[NumberRecord]
    limit: int
    offset: int


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
    if not isinstance(meta, dict) or not isinstance(meta.get("total_count"), int):
        raise ValueError("list response has no meta.total_count")
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise ValueError("list response has no objects array")
    limit = meta.get("limit")
    if not isinstance(limit, int) or limit <= 0:
        limit = requested_limit
    return Envelope(total_count=meta["total_count"], limit=limit, objects=objects)


def to_records(objects: list[dict[str, Any]]) -> list[NumberRecord]:
    """NumberRecords from Plivo objects; ValueError if one lacks a usable `number`.

    The objects' values of `SHARED_KEYS` are replaced by interned strings on the way.
    """
    try:
        return [NumberRecord.from_api(_share(obj)) for obj in objects]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"number object without {exc}") from None


def _share(obj: dict[str, Any]) -> dict[str, Any]:
    # JSON decoding makes a new string for every value: without this, 300k numbers carry 300k
    # copies of "local", of each renewal date and region, a third of the inventory's memory.
    for key in SHARED_KEYS:
        value = obj.get(key)
        if type(value) is str:
            obj[key] = sys.intern(value)
    return obj


async def walk_pages(
    fetch: FetchPage, attempt: PageAttempt, concurrency: int
) -> AsyncGenerator[NumberRecord, None]:
    """Yield every record of a listing once, in server order.

    The first page sets the page size and the expected total; later pages are fetched up to
    `concurrency` at a time and yielded in order, so at most `concurrency + 1` pages are held.
    Offsets are planned from the newest total seen, a short page ends the listing (nothing lies
    past it), and numbers already yielded are skipped (items shift when the account changes
    mid-listing).
    """
    first = await attempt(lambda: fetch(MAX_PAGE_SIZE, 0))
    size = min(first.limit, MAX_PAGE_SIZE) if first.limit > 0 else MAX_PAGE_SIZE
    seen: set[str] = set()
    for record in _fresh(first.records, seen):
        yield record
    if len(first.records) < size:
        return
    window = _Window(fetch, attempt, size, concurrency, first.total_count)
    try:
        while (page := await window.next_page()) is not None:
            for record in _fresh(page.records, seen):
                yield record
    finally:
        await window.cancel()


def _fresh(records: list[NumberRecord], seen: set[str]) -> Iterator[NumberRecord]:
    for record in records:
        if record.number not in seen:
            seen.add(record.number)
            yield record


class _Window:
    """Pages after the first, fetched ahead of the reader but never more than `concurrency`."""

    def __init__(
        self, fetch: FetchPage, attempt: PageAttempt, size: int, concurrency: int, total: int
    ) -> None:
        self._fetch = fetch
        self._attempt = attempt
        self._size = size
        self._concurrency = concurrency
        self._end = total
        self._next_offset = size
        self._pending: deque[asyncio.Future[NumberPage]] = deque()
        self._done = False

    async def next_page(self) -> NumberPage | None:
        """The next page in order, or None when the listing is exhausted."""
        self._fill()
        if self._done or not self._pending:
            return None
        page = await self._pending.popleft()
        # Trust the newest count: numbers added during the walk are still reached.
        self._end = page.total_count
        if len(page.records) < self._size:
            self._done = True
        return page

    def _fill(self) -> None:
        while (
            not self._done
            and len(self._pending) < self._concurrency
            and self._next_offset < self._end
        ):
            offset = self._next_offset
            self._next_offset += self._size
            op = self._op(offset)
            self._pending.append(asyncio.ensure_future(self._attempt(op)))

    def _op(self, offset: int) -> Callable[[], Awaitable[NumberPage]]:
        return lambda: self._fetch(self._size, offset)

    async def cancel(self) -> None:
        """Stop fetches nobody will read; collect their outcomes so none is reported as lost."""
        pending = list(self._pending)
        self._pending.clear()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
