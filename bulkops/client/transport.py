"""The HTTP seam: one pooled aiohttp session, pacing, and translation of every failure.

This is the only module that touches aiohttp at request time. A request here is: await the run's
pace (rate limiter + shared 429 pause), send, read the whole body, and either return the decoded
JSON or raise the PlivoError that `error_for` picks.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import aiohttp
from yarl import URL

from bulkops import __version__
from bulkops.client.credentials import Credentials
from bulkops.client.errors import PlivoError, error_for

Pace = Callable[[], Awaitable[None]]
# Told each answered request's round trip (seconds), its kind (`request_kind`) and status.
Observe = Callable[[float, str, int], None]

_HEADERS: Final = {"Accept": "application/json", "User-Agent": f"bulkops/{__version__}"}
_WIRE_ERRORS: Final = (aiohttp.ClientError, TimeoutError, OSError)


class Transport:
    """Sends requests to `{base_url}/v1/Account/{auth_id}/…` over one connection pool."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        *,
        timeout: float,
        max_connections: int,
        pace: Pace | None,
        observe: Observe | None = None,
    ) -> None:
        self.account_path = f"/v1/Account/{credentials.auth_id}/"
        self._prefix = base_url + self.account_path
        authorization = _basic_auth(credentials)
        self._secrets = (credentials.auth_token, authorization.removeprefix("Basic "))
        self._pace = pace
        self._observe = observe
        self._session = aiohttp.ClientSession(
            headers={**_HEADERS, "Authorization": authorization},
            timeout=aiohttp.ClientTimeout(total=timeout),
            connector=aiohttp.TCPConnector(limit=max_connections),
        )
        # aiohttp silently re-sends an idempotent request (DELETE included) once when a pooled
        # connection drops before the answer. A hidden second unrent then reads as a 404 that
        # looks like "never was ours". The retry layer above must see every attempt, so turn
        # it off (aiohttp offers no public switch for it).
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False

    async def close(self) -> None:
        await self._session.close()

    async def call(
        self,
        method: str,
        relative: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
        answer: bool = True,
    ) -> Any:
        """Send `method` to the account-relative path `relative` ("Number/1415…/").

        Returns the decoded JSON (None for an empty 2xx body, or when `answer` is False: the
        caller needs only the status); raises a PlivoError otherwise. `relative` must already
        be validated: it is joined as is, without re-quoting.
        """
        path = self.account_path + relative
        if self._pace is not None:
            await self._pace()
        sent = time.monotonic()
        try:
            async with self._session.request(
                method,
                URL(self._prefix + relative, encoded=True),
                params=params,
                json=body,
                allow_redirects=False,
            ) as response:
                status = response.status
                raw = await response.read()
                retry_after = response.headers.get("Retry-After")
        except _WIRE_ERRORS as exc:
            raise self._error(method, path, cause=exc) from _safe_cause(exc)
        if self._observe is not None:
            # Answers only: a timeout says nothing about how long answers take.
            self._observe(time.monotonic() - sent, request_kind(method, relative), status)
        if not 200 <= status < 300:
            raise self._error(method, path, status=status, body=raw, retry_after=retry_after)
        if not raw or not answer:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise self._error(method, path, status=status, cause=exc) from None

    def malformed(self, method: str, relative: str, status: int, what: str) -> PlivoError:
        """The TransportError for a 2xx answer whose JSON lacks what the protocol promises."""
        return self._error(
            method, self.account_path + relative, status=status, cause=ValueError(what)
        )

    def _error(self, method: str, path: str, **outcome: Any) -> PlivoError:
        return error_for(method, path, secret=self._secrets, **outcome)


def request_kind(method: str, relative: str) -> str:
    """Requests whose round trips compare: "GET Number/" (a list), "POST Number/1" (one)."""
    resource, _, rest = relative.partition("/")
    return f"{method} {resource}/{'1' if rest.strip('/') else ''}"


def _basic_auth(credentials: Credentials) -> str:
    # Built once per client. aiohttp.BasicAuth is deprecated as of aiohttp 3.14, and its
    # replacement (encode_basic_auth) does not exist in the 3.9 the project still supports.
    pair = f"{credentials.auth_id}:{credentials.auth_token}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _safe_cause(exc: BaseException) -> BaseException | None:
    # ClientResponseError's repr includes the request headers, i.e. the Basic auth header.
    return None if isinstance(exc, aiohttp.ClientResponseError) else exc
