"""The client's typed errors, its credentials, the input it refuses before any request, and how
its paging copes with an account that changes mid-listing (against a loopback server)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bulkops.client import (
    ApiUrlError,
    AuthenticationError,
    Credentials,
    CredentialsError,
    InvalidRequestError,
    ListingChanged,
    ListingStats,
    MissingCredentialsError,
    NotFoundError,
    PlivoClient,
    PlivoError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bulkops.client.errors import error_for, parse_retry_after
from bulkops.errors import ExitCode, ListingError
from bulkops.numbers import InvalidNumberError

AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
TOKEN = "s3cr3t-token-value-zz"
PATH = f"/v1/Account/{AUTH_ID}/Number/14155550100/"


def _body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def _everything_shown(error: PlivoError) -> str:
    return " ".join((str(error), repr(error), error.message, error.path))


# The status mapping


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (405, InvalidRequestError),
        (409, InvalidRequestError),
        (422, InvalidRequestError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_each_status_maps_to_its_error_class(status: int, expected: type[PlivoError]) -> None:
    """A caller can tell auth, missing, refused, throttled and server failures apart by class."""
    error = error_for("GET", PATH, status=status, body=_body(api_id="a", error="nope"))
    assert type(error) is expected
    assert (error.status, error.method, error.path) == (status, "GET", PATH)


def test_authentication_failure_reads_as_advice_even_without_api_id() -> None:
    """A 401 body lacking api_id (as real Plivo sends) still says which variables to check."""
    body = _body(error="authentication credentials were not provided")
    error = error_for("GET", PATH, status=401, body=body)
    assert (
        str(error) == "authentication failed (HTTP 401): check PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN"
    )
    assert error.message == "authentication credentials were not provided"


@pytest.mark.parametrize("body", [b"", b"<html>502 Bad Gateway</html>", b"[1, 2]", b'"text"'])
def test_empty_or_foreign_error_bodies_still_give_a_typed_error(body: bytes) -> None:
    """Error bodies that are empty, HTML or the wrong JSON shape never crash the translation."""
    for status, expected in ((400, InvalidRequestError), (404, NotFoundError), (502, ServerError)):
        error = error_for("POST", PATH, status=status, body=body)
        assert type(error) is expected
        assert error.message
        assert "<html>" not in str(error)


def test_invalid_request_carries_plivos_error_text() -> None:
    """The reason Plivo gives for refusing an update is what the user reads."""
    body = _body(api_id="a", error="profile_uuid is required when caller_reputation is enabled")
    error = error_for("POST", PATH, status=400, body=body)
    assert error.message == "profile_uuid is required when caller_reputation is enabled"
    assert str(error) == (
        f"request refused (HTTP 400) on POST {PATH}: "
        "profile_uuid is required when caller_reputation is enabled"
    )


def test_not_found_names_the_request() -> None:
    """A 404 says which method and path found nothing."""
    error = error_for("DELETE", PATH, status=404, body=_body(api_id="a", error="not found"))
    assert str(error) == f"not found (HTTP 404): DELETE {PATH}"
    assert error.message == "not found"


def test_rate_limited_carries_the_retry_after_hint() -> None:
    """A 429 with Retry-After tells the retry layer how long to pause, and says so."""
    error = error_for(
        "GET", PATH, status=429, body=_body(error="too many requests"), retry_after="2"
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 2.0
    assert "retry after 2s" in str(error)
    without = error_for("GET", PATH, status=429)
    assert isinstance(without, RateLimitedError)
    assert without.retry_after is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        ("0", 0.0),
        ("0.5", 0.5),
        (" 3 ", 3.0),
        (None, None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("soon", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_accepts_seconds_and_ignores_dates_and_garbage(
    header: str | None, seconds: float | None
) -> None:
    """Only a number of seconds is honoured; anything else means "no hint"."""
    assert parse_retry_after(header) == seconds


def test_wire_failures_become_transport_errors() -> None:
    """Timeouts, dropped connections and unreadable bodies all surface as TransportError."""
    causes: list[tuple[BaseException, int | None, str]] = [
        (TimeoutError(), None, "timed out"),
        (aiohttp.ServerDisconnectedError(), None, "closed the connection"),
        (aiohttp.ClientPayloadError("cut"), None, "cut short"),
        (ConnectionResetError(104, "Connection reset by peer"), None, "reset by peer"),
        (ValueError("Expecting value"), 200, "not the expected JSON"),
    ]
    for cause, status, phrase in causes:
        error = error_for("GET", PATH, status=status, cause=cause)
        assert type(error) is TransportError
        assert error.status == status
        assert phrase in str(error)


def test_redirects_and_other_unexpected_statuses_are_transport_errors() -> None:
    """A 3xx is not Plivo's protocol, so it is reported as an unusable response."""
    error = error_for("GET", PATH, status=302)
    assert type(error) is TransportError
    assert "HTTP 302" in str(error)


def test_a_server_echoing_the_token_cannot_put_it_in_an_error() -> None:
    """Even if the server quotes the token back, no message, str or repr contains it."""
    body = _body(error=f"bad credentials MAXXXXXXXXXXXXXXXXXX:{TOKEN}")
    for status in (400, 401, 403, 500):
        error = error_for("GET", PATH, status=status, body=body, secret=TOKEN)
        assert TOKEN not in _everything_shown(error)


# Credentials


def test_credentials_never_show_the_token() -> None:
    """Printing or logging credentials shows the auth_id only."""
    creds = Credentials(auth_id=AUTH_ID, auth_token=TOKEN)
    for shown in (repr(creds), str(creds), f"{creds}", f"{creds!r}"):
        assert TOKEN not in shown
        assert AUTH_ID in shown


def test_from_env_reads_and_trims_both_variables() -> None:
    """Credentials come from PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN, tolerating a trailing newline."""
    creds = Credentials.from_env({"PLIVO_AUTH_ID": f"{AUTH_ID}\n", "PLIVO_AUTH_TOKEN": TOKEN})
    assert (creds.auth_id, creds.auth_token) == (AUTH_ID, TOKEN)


@pytest.mark.parametrize(
    "environ",
    [{}, {"PLIVO_AUTH_ID": AUTH_ID}, {"PLIVO_AUTH_TOKEN": TOKEN}, {"PLIVO_AUTH_ID": " "}],
)
def test_from_env_names_both_variables_when_one_is_missing(environ: dict[str, str]) -> None:
    """A missing variable is invalid input (exit 2) naming both variables to export."""
    with pytest.raises(MissingCredentialsError) as caught:
        Credentials.from_env(environ)
    assert caught.value.exit_code == ExitCode.INVALID
    assert "PLIVO_AUTH_ID" in str(caught.value)
    assert "PLIVO_AUTH_TOKEN" in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "auth_id", ["", "MA123", "XA" + "X" * 18, "ma" + "x" * 18, "MA" + "X" * 17 + "/", TOKEN]
)
def test_an_auth_id_that_cannot_go_into_a_url_is_refused(auth_id: str) -> None:
    """The auth_id goes into every path, so only MA/SA + 18 characters is accepted, unechoed."""
    with pytest.raises(CredentialsError, match="PLIVO_AUTH_ID") as caught:
        Credentials(auth_id=auth_id, auth_token=TOKEN)
    if auth_id:
        assert auth_id not in str(caught.value)


def test_subaccount_credentials_are_accepted() -> None:
    """A subaccount's SA… auth_id is as valid as a main account's."""
    assert Credentials(auth_id="SA" + "Y" * 18, auth_token=TOKEN).auth_id.startswith("SA")


# Refusing bad input before any request, against a real server at the seam


@dataclass
class Listing:
    """A server-side inventory served by limit/offset; `after_page` may change it between pages."""

    numbers: list[Any]
    claimed_total: int | None = None
    after_first_page: list[str] = field(default_factory=list)
    pages_served: int = 0
    short: dict[int, int] = field(default_factory=dict)  # offset → times it comes back half full
    repeat_first_page: bool = False

    def page(self, request: web.Request) -> web.Response:
        limit, offset = int(request.query["limit"]), int(request.query["offset"])
        start = 0 if self.repeat_first_page else offset
        listed = self.numbers[start:][:limit]
        if self.short.get(offset, 0) > 0:
            self.short[offset] -= 1
            listed = listed[: len(listed) // 2]
        objects = [{"number": n, "number_type": "local"} for n in listed]
        total = self.claimed_total if self.claimed_total is not None else len(self.numbers)
        self.pages_served += 1
        if self.pages_served == 1:
            # Numbers rented while the listing is walked push everything after them along.
            self.numbers[:0] = self.after_first_page
        meta = {"limit": limit, "offset": offset, "total_count": total}
        return web.json_response({"api_id": "x", "meta": meta, "objects": objects})


@dataclass
class Seam:
    """A loopback HTTP server that records what reaches it and answers with a fixed response."""

    url: str
    requests: list[str] = field(default_factory=list)
    paced: int = 0
    status: int = 200
    body: bytes = b'{"number": "14155550100", "number_type": "local"}'
    headers: dict[str, str] = field(default_factory=dict)
    listing: Listing | None = None

    async def pace(self) -> None:
        self.paced += 1

    def client(self) -> PlivoClient:
        creds = Credentials(auth_id=AUTH_ID, auth_token=TOKEN)
        return PlivoClient(creds, base_url=self.url, timeout=5.0, pace=self.pace)


@pytest.fixture
async def seam() -> AsyncIterator[Seam]:
    state: list[Seam] = []

    async def handler(request: web.Request) -> web.Response:
        current = state[0]
        current.requests.append(f"{request.method} {request.path_qs}")
        if current.listing is not None:
            return current.listing.page(request)
        return web.Response(status=current.status, body=current.body, headers=current.headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.append(Seam(url=str(server.make_url("")).rstrip("/")))
    try:
        yield state[0]
    finally:
        await server.close()


BAD_NUMBERS = [
    "+14155550100",
    "1415/../x",
    "",
    "1415555",
    "14155550100/",
    "1415 555 0100",
    "١٤١٥٥٥٥٠١٠٠",  # Arabic-Indic digits: str.isdigit() would let them through
]


@pytest.mark.parametrize("number", BAD_NUMBERS)
async def test_bad_numbers_are_refused_before_any_request(seam: Seam, number: str) -> None:
    """A number that is not 8-15 ASCII digits never reaches a URL, nor the rate limiter."""
    async with seam.client() as client:
        with pytest.raises(InvalidNumberError):
            await client.get_number(number)
        with pytest.raises(InvalidNumberError):
            await client.update_number(number, {"alias": "x"})
        with pytest.raises(InvalidNumberError):
            await client.unrent_number(number)
    assert seam.requests == []
    assert seam.paced == 0


@pytest.mark.parametrize("app_id", ["", "../Subaccount", "a/b", "x" * 65, "id?x=1", "a%2F"])
async def test_bad_application_ids_are_refused_before_any_request(seam: Seam, app_id: str) -> None:
    """An application id with path or query characters is refused as a ValueError."""
    async with seam.client() as client:
        with pytest.raises(ValueError, match="application id"):
            await client.get_application(app_id)
    assert seam.requests == []


@pytest.mark.parametrize("sub_id", ["", "MA" + "X" * 18, "SA123", "SA" + "x" * 18, "SA/../../x"])
async def test_bad_subaccount_ids_are_refused_before_any_request(seam: Seam, sub_id: str) -> None:
    """Only SA + 18 uppercase letters or digits is looked up as a subaccount."""
    async with seam.client() as client:
        with pytest.raises(ValueError, match="subaccount"):
            await client.get_subaccount(sub_id)
    assert seam.requests == []


async def test_unknown_update_fields_are_refused_before_any_request(seam: Seam) -> None:
    """A misspelt field would be silently ignored by Plivo, so the client refuses it."""
    async with seam.client() as client:
        with pytest.raises(ValueError, match="aliass"):
            await client.update_number("14155550100", {"aliass": "x"})
    assert seam.requests == []


async def test_filters_are_url_encoded_not_concatenated(seam: Seam) -> None:
    """A filter value with &, = or spaces reaches the server as one parameter."""
    seam.body = json.dumps({"meta": {"total_count": 0, "limit": 20}, "objects": []}).encode()
    async with seam.client() as client:
        page = await client.list_numbers_page({"alias": "a&limit=1 b"}, limit=5, offset=10)
    assert page.records == []
    assert seam.requests == [
        f"GET /v1/Account/{AUTH_ID}/Number/?alias=a%26limit%3D1+b&limit=5&offset=10"
    ]


@pytest.mark.parametrize("body", [b"<html>ok</html>", b"[]", b'{"objects": []}', b'{"meta": {}}'])
async def test_a_success_with_an_unexpected_body_is_a_transport_error(
    seam: Seam, body: bytes
) -> None:
    """A 200 that is not Plivo's list envelope is reported, not half-parsed."""
    seam.body = body
    async with seam.client() as client:
        with pytest.raises(TransportError) as caught:
            await client.list_numbers_page({})
    assert caught.value.status == 200


async def test_redirects_are_not_followed(seam: Seam) -> None:
    """A redirect could carry the Basic auth header elsewhere, so it is an error instead."""
    seam.status, seam.body, seam.headers = 302, b"", {"Location": "http://example.invalid/"}
    async with seam.client() as client:
        with pytest.raises(TransportError, match="HTTP 302"):
            await client.get_number("14155550100")
    assert len(seam.requests) == 1


def test_client_repr_and_url_checks_keep_the_token_out() -> None:
    """The client's repr shows where it talks and as whom, never the token."""
    creds = Credentials(auth_id=AUTH_ID, auth_token=TOKEN)
    client = PlivoClient(creds, base_url="http://127.0.0.1:8080/")
    assert client.base_url == "http://127.0.0.1:8080"
    assert TOKEN not in repr(client)
    with pytest.raises(ApiUrlError, match="credentials") as caught:
        PlivoClient(creds, base_url=f"https://user:{TOKEN}@api.plivo.com")
    assert TOKEN not in str(caught.value)
    with pytest.raises(ApiUrlError, match=r"https://api\.plivo\.com") as caught:
        PlivoClient(creds, base_url=f"ftp://{TOKEN}")
    assert TOKEN not in str(caught.value)
    assert caught.value.exit_code == ExitCode.INVALID


def test_base_url_defaults_to_the_environment_then_plivo(monkeypatch: pytest.MonkeyPatch) -> None:
    """PLIVO_API_URL points the client at an emulator; without it the client talks to Plivo."""
    creds = Credentials(auth_id=AUTH_ID, auth_token=TOKEN)
    monkeypatch.delenv("PLIVO_API_URL", raising=False)
    assert PlivoClient(creds).base_url == "https://api.plivo.com"
    monkeypatch.setenv("PLIVO_API_URL", "http://127.0.0.1:9999")
    assert PlivoClient(creds).base_url == "http://127.0.0.1:9999"


# Paging while the account changes


def _numbers(count: int, start: int = 14155550000) -> list[str]:
    return [str(start + i) for i in range(count)]


async def _walk(seam: Seam, concurrency: int) -> list[str]:
    async with seam.client() as client:
        return [r.number async for r in client.iter_numbers({}, page_concurrency=concurrency)]


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_numbers_rented_mid_listing_make_the_listing_refuse_to_end(
    seam: Seam, concurrency: int
) -> None:
    """An account that grows while it is listed gives ListingChanged, so the caller walks again."""
    original = _numbers(60)  # three full pages: a fourth exists only once the account grows
    seam.listing = Listing(numbers=list(original), after_first_page=_numbers(3, 16505550000))
    with pytest.raises(ListingChanged, match="changed while it was being listed"):
        await _walk(seam, concurrency)


async def test_a_short_page_is_fetched_again(seam: Seam) -> None:
    """A page that comes back with half its numbers is asked for again, and nothing is lost."""
    seam.listing = Listing(numbers=_numbers(245), short={100: 1})
    walked = await _walk(seam, concurrency=4)
    assert walked == _numbers(245)
    assert sum("offset=100" in request for request in seam.requests) == 2


async def test_a_page_that_stays_short_fails_the_listing(seam: Seam) -> None:
    """When fewer numbers come than total_count promises, the listing fails; it never ends early."""
    seam.listing = Listing(numbers=_numbers(45), claimed_total=200)
    with pytest.raises(ListingError, match="incomplete: the page at offset 40 held 5 of 20"):
        await _walk(seam, concurrency=2)
    assert seam.paced == len(seam.requests)


async def test_a_total_count_that_is_too_small_fails_the_listing(seam: Seam) -> None:
    """A server claiming 3 numbers while sending 20 is not trusted (no silent truncation)."""
    seam.listing = Listing(numbers=_numbers(45), claimed_total=3)
    with pytest.raises(ListingError, match="inconsistent"):
        await _walk(seam, concurrency=2)


async def test_a_negative_total_count_is_a_malformed_answer(seam: Seam) -> None:
    """total_count -1 is not a count: the page is refused like any broken answer."""
    seam.listing = Listing(numbers=_numbers(5), claimed_total=-1)
    with pytest.raises(TransportError, match="total_count"):
        await _walk(seam, concurrency=2)


async def test_a_server_that_repeats_itself_cannot_make_the_listing_endless(seam: Seam) -> None:
    """A total of 10^9 over full pages of the same numbers stops with a clear error, quickly."""
    seam.listing = Listing(numbers=_numbers(20), claimed_total=10**9, repeat_first_page=True)
    with pytest.raises(ListingError, match="repeats itself"):
        await _walk(seam, concurrency=4)
    assert len(seam.requests) < 10


async def test_malformed_records_are_skipped_and_counted(seam: Seam) -> None:
    """Numbers that must not go into a URL (None, ../x, non-ASCII digits) are never yielded."""
    bad: list[Any] = [None, "../x", "١٤١٥٥٥٥٠١٠٠", 14155550100]
    seam.listing = Listing(numbers=[*_numbers(3), *bad])
    stats = ListingStats()
    async with seam.client() as client:
        walked = [r.number async for r in client.iter_numbers({}, stats=stats)]
    assert walked == _numbers(3)
    assert (stats.malformed, stats.received, stats.total) == (4, 7, 7)


async def test_an_empty_account_takes_one_request(seam: Seam) -> None:
    """No numbers: one page, nothing yielded."""
    seam.listing = Listing(numbers=[])
    assert await _walk(seam, concurrency=4) == []
    assert len(seam.requests) == 1


def test_an_echoed_basic_auth_header_is_scrubbed_too() -> None:
    """A server that echoes the Authorization header cannot leak the token in base64 either."""
    import base64

    header = base64.b64encode(b"MAXXXXXXXXXXXXXXXXXX:s3cret-token").decode()
    body = f'{{"error": "bad header Basic {header} with s3cret-token"}}'.encode()
    error = error_for(
        "GET",
        "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Number/",
        status=400,
        body=body,
        secret=("s3cret-token", header),
    )
    assert header not in str(error) + error.message + repr(error)
    assert "s3cret-token" not in str(error) + error.message + repr(error)


async def test_a_listing_the_account_changed_under_is_walked_again(seam: Seam) -> None:
    """list_matching walks a listing again after ListingChanged and returns one consistent view."""
    grown = _numbers(3, 16505550000)
    seam.listing = Listing(numbers=_numbers(60), after_first_page=grown)
    stats = ListingStats()
    async with seam.client() as client:
        kept = await client.list_matching({}, lambda r: True, page_concurrency=3, stats=stats)
    assert sorted(r.number for r in kept) == sorted([*_numbers(60), *grown])
    assert stats.walks == 2
    assert stats.total == 63
