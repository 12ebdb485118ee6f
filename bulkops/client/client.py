"""PlivoClient: the Number, Application and Subaccount calls bulkops makes, as typed coroutines.

The client never retries: the run's retry layer wraps calls (and `iter_numbers` page fetches via
`attempt`). Every request first awaits `pace`, so listing shares the run's rate limit too.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Final

from yarl import URL

from bulkops import logs
from bulkops.client.credentials import Credentials
from bulkops.client.errors import ApiUrlError
from bulkops.client.pages import (
    MAX_PAGE_SIZE,
    ListingChanged,
    ListingStats,
    NumberPage,
    PageAttempt,
    PageConcurrency,
    parse_envelope,
    to_records,
    walk_pages,
)
from bulkops.client.traffic import PATH, Traffic, TrafficPage, parse_page
from bulkops.client.transport import Observe, Pace, Transport
from bulkops.numbers import (
    ID_PATTERN,
    SUBACCOUNT_PATTERN,
    UPDATE_FIELDS,
    NumberRecord,
    check_number,
)

DEFAULT_API_URL: Final = "https://api.plivo.com"
LISTING_WALKS: Final = 3  # walks of a listing the account keeps changing under, before giving up
ENV_API_URL: Final = "PLIVO_API_URL"

log = logs.get_logger("bulkops.listing")

_UPDATE_FIELD_SET: Final = frozenset(UPDATE_FIELDS)


class PlivoClient:
    """Async client for one Plivo account; use as `async with PlivoClient(creds) as client`."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_connections: int = 64,
        pace: Pace | None = None,
        observe: Observe | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections!r}")
        self._credentials = credentials
        self.base_url = _check_base_url(base_url or os.environ.get(ENV_API_URL) or DEFAULT_API_URL)
        self._timeout = timeout
        self._max_connections = max_connections
        self._pace = pace
        self._observe = observe
        self._transport: Transport | None = None

    def __repr__(self) -> str:
        return f"PlivoClient(base_url={self.base_url!r}, auth_id={self._credentials.auth_id!r})"

    async def __aenter__(self) -> PlivoClient:
        if self._transport is not None:
            raise RuntimeError("this PlivoClient is already open")
        self._transport = Transport(
            self._credentials,
            self.base_url,
            timeout=self._timeout,
            max_connections=self._max_connections,
            pace=self._pace,
            observe=self._observe,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.close()

    @property
    def _open(self) -> Transport:
        if self._transport is None:
            raise RuntimeError("use the client inside `async with PlivoClient(...) as client:`")
        return self._transport

    # Numbers

    async def list_numbers_page(
        self, query: Mapping[str, str], limit: int = MAX_PAGE_SIZE, offset: int = 0
    ) -> NumberPage:
        """One page of the account's numbers matching `query` (filters in Plivo's spelling)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be 1-{MAX_PAGE_SIZE}, got {limit!r}")
        if offset < 0:
            raise ValueError(f"offset must be 0 or more, got {offset!r}")
        # limit/offset are the client's to set: a filter of the same name is overridden.
        params = {**query, "limit": str(limit), "offset": str(offset)}
        body = await self._open.call("GET", "Number/", params=params)
        try:
            envelope = parse_envelope(body, limit)
        except ValueError as exc:
            raise self._open.malformed("GET", "Number/", 200, str(exc)) from None
        records, malformed = to_records(envelope.objects)
        received = len(envelope.objects)
        return NumberPage(
            envelope.total_count, records, envelope.limit, offset, received, malformed
        )

    def iter_numbers(
        self,
        query: Mapping[str, str],
        page_concurrency: PageConcurrency = 4,
        attempt: PageAttempt | None = None,
        stats: ListingStats | None = None,
    ) -> AsyncGenerator[NumberRecord, None]:
        """Every number matching `query`, each once, in server order.

        Up to `page_concurrency` pages (a count, or a callable read before each fetch: the
        run's in-flight allowance) are fetched ahead of the reader; each fetch goes through
        `attempt` (the retry layer), default once. `stats` is filled in as the walk goes. Leave
        early with `contextlib.aclosing` so the look-ahead fetches are cancelled at once. Raises
        ListingError for a listing that does not add up.
        """
        if isinstance(page_concurrency, int) and page_concurrency < 1:
            raise ValueError(f"page_concurrency must be at least 1, got {page_concurrency!r}")

        async def fetch(limit: int, offset: int) -> NumberPage:
            return await self.list_numbers_page(query, limit=limit, offset=offset)

        # Returned, not re-yielded: closing what the caller holds then closes the walk itself.
        return walk_pages(fetch, attempt or _once, page_concurrency, stats)

    async def list_matching(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        page_concurrency: PageConcurrency = 4,
        attempt: PageAttempt | None = None,
        stats: ListingStats | None = None,
    ) -> list[NumberRecord]:
        """The numbers matching `query` that `keep` accepts, from one consistent listing.

        A listing the account changed under (ListingChanged) is walked again from the start, up
        to LISTING_WALKS times in all; any other ListingError is raised at once.
        """
        stats = ListingStats() if stats is None else stats
        for walk in range(1, LISTING_WALKS + 1):
            stats.begin_walk()
            kept: list[NumberRecord] = []
            try:
                async for record in self.iter_numbers(query, page_concurrency, attempt, stats):
                    if keep(record):
                        kept.append(record)
            except ListingChanged:
                if walk == LISTING_WALKS:
                    raise
                log.info("listing_again", reason="the account changed while it was listed")
                continue
            return kept
        raise AssertionError("unreachable: the last walk returns or raises")

    async def get_number(self, number: str) -> NumberRecord:
        """The number's current state; NotFoundError if the account does not rent it."""
        relative = f"Number/{check_number(number)}/"
        body = await self._get_object(relative)
        records, refused = to_records([body])
        if refused or records[0].number != number:
            what = refused[0] if refused else "a different number"
            raise self._open.malformed("GET", relative, 200, f"number object with {what}")
        return records[0]

    async def update_number(self, number: str, fields: Mapping[str, str]) -> None:
        """POST the update fields (e.g. {"alias": "x", "app_id": ""}); Plivo answers 202."""
        if not fields.keys() <= _UPDATE_FIELD_SET:
            unknown = sorted(set(fields) - _UPDATE_FIELD_SET)
            raise ValueError(f"not Plivo number update fields: {', '.join(unknown)}")
        relative = f"Number/{check_number(number)}/"
        await self._open.call("POST", relative, body=dict(fields), answer=False)

    async def unrent_number(self, number: str) -> None:
        """Give the number back to Plivo (DELETE, 204). This cannot be undone."""
        await self._open.call("DELETE", f"Number/{check_number(number)}/", answer=False)

    # Calls and messages (read-only: the evidence that a number is in use)

    async def list_traffic_page(
        self,
        traffic: Traffic,
        query: Mapping[str, str],
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> TrafficPage:
        """One page of the Call or Message list matching `query` (Plivo's filters), newest first.

        The Message list allows 20 requests a minute: pacing them is the caller's job.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be 1-{MAX_PAGE_SIZE}, got {limit!r}")
        if offset < 0:
            raise ValueError(f"offset must be 0 or more, got {offset!r}")
        for name in ("to_number", "from_number"):
            if name in query:
                check_number(query[name].removeprefix("+"))
        params = {**query, "limit": str(limit), "offset": str(offset)}
        path = PATH[traffic]
        body = await self._open.call("GET", path, params=params)
        try:
            return parse_page(traffic, body, limit)
        except ValueError as exc:
            raise self._open.malformed("GET", path, 200, str(exc)) from None

    # Applications and subaccounts (read-only: the plan refers to them by id)

    async def get_application(self, app_id: str) -> dict[str, Any]:
        """One application's raw object; NotFoundError if there is none with this id."""
        return await self._get_object(f"Application/{_check_id(app_id)}/")

    async def get_subaccount(self, subaccount_id: str) -> dict[str, Any]:
        """One subaccount's raw object; NotFoundError if there is none with this auth_id."""
        return await self._get_object(f"Subaccount/{_check_subaccount(subaccount_id)}/")

    async def _get_object(self, relative: str) -> dict[str, Any]:
        body = await self._open.call("GET", relative)
        if not isinstance(body, dict):
            raise self._open.malformed("GET", relative, 200, "response is not a JSON object")
        return body


async def _once(op: Callable[[], Awaitable[NumberPage]]) -> NumberPage:
    return await op()


def _check_id(app_id: str) -> str:
    if not isinstance(app_id, str) or not ID_PATTERN.fullmatch(app_id):
        raise ValueError(f"not an application id (1-64 letters, digits, '_' or '-'): {app_id!r}")
    return app_id


def _check_subaccount(subaccount_id: str) -> str:
    if not isinstance(subaccount_id, str) or not SUBACCOUNT_PATTERN.fullmatch(subaccount_id):
        raise ValueError(f"not a subaccount auth_id (SA + 18 letters or digits): {subaccount_id!r}")
    return subaccount_id


def _check_base_url(value: str) -> str:
    """`value` without a trailing slash, if it is a plain http(s) URL with no credentials."""
    try:
        url = URL(value)
    except ValueError:
        raise ApiUrlError(f"{ENV_API_URL} is not a URL (expected https://api.plivo.com)") from None
    if url.user or url.password or url.query_string or url.fragment:
        # Never echo it: a token pasted into the wrong variable would print.
        raise ApiUrlError(f"{ENV_API_URL} must not carry credentials, a query or a fragment")
    if url.scheme not in ("http", "https") or not url.host:
        raise ApiUrlError(
            f"{ENV_API_URL} must look like https://api.plivo.com "
            f"({len(value)} characters given; not shown, in case it is a secret)"
        )
    return str(url).rstrip("/")
