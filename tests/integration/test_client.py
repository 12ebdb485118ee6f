"""The bulkops client against the project's Plivo emulator on 127.0.0.1: paging, CRUD, faults."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bulkops.client import (
    AuthenticationError,
    Credentials,
    NotFoundError,
    NumberPage,
    PlivoClient,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bulkops.emulator import APPLICATION_IDS, SUBACCOUNT_IDS, Faults, RunningEmulator

MakeEmulator = Callable[..., Awaitable[RunningEmulator]]


class Counter:
    """A pace that only counts how often it was awaited."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


def _client(emu: RunningEmulator, *, token: str | None = None, **options: Any) -> PlivoClient:
    creds = Credentials(auth_id=emu.auth_id, auth_token=token or emu.auth_token)
    return PlivoClient(creds, base_url=emu.base_url, **options)


async def _faulty(make_emulator: MakeEmulator, faults: Faults) -> RunningEmulator:
    return await make_emulator(numbers=20, faults=faults)


def _listing_queries(emu: RunningEmulator) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(served.path).query)
        for served in emu.emulator.served
        if urlsplit(served.path).path.endswith("/Number/")
    ]


# The SDK conformance round trip, done by the bulkops client


async def test_listing_yields_every_number_exactly_once(emulator: RunningEmulator) -> None:
    """Paging through the whole inventory returns exactly the emulator's numbers, once each."""
    async with _client(emulator) as client:
        walked = [record.number async for record in client.iter_numbers({})]
    assert len(walked) == len(set(walked)) == len(emulator.emulator.numbers)
    assert set(walked) == set(emulator.emulator.numbers)


async def test_concurrent_paging_keeps_server_order(emulator: RunningEmulator) -> None:
    """Fetching pages 8 at a time yields the same sequence as reading them one by one."""
    async with _client(emulator) as client:
        one_by_one: list[str] = []
        offset = 0
        while True:
            page: NumberPage = await client.list_numbers_page({}, limit=20, offset=offset)
            one_by_one += [record.number for record in page.records]
            offset += 20
            if offset >= page.total_count:
                break
        concurrent = [r.number async for r in client.iter_numbers({}, page_concurrency=8)]
    assert concurrent == one_by_one


async def test_get_update_and_unrent_round_trip(emulator: RunningEmulator) -> None:
    """A number can be read, re-aliased, unlinked, and unrented, after which it is gone."""
    number = next(iter(emulator.emulator.numbers))
    async with _client(emulator) as client:
        before = await client.get_number(number)
        assert before.number == number
        await client.update_number(number, {"alias": "bulkops test", "app_id": ""})
        after = await client.get_number(number)
        assert (after.alias, after.app_id) == ("bulkops test", None)
        await client.unrent_number(number)
        with pytest.raises(NotFoundError):
            await client.get_number(number)
        with pytest.raises(NotFoundError):
            await client.unrent_number(number)
    assert number not in emulator.emulator.numbers
    changed = [m for m in emulator.emulator.mutations if m.number == number]
    assert [m.method for m in changed] == ["POST", "DELETE"]
    assert changed[0].fields == {"alias": "bulkops test", "app_id": ""}


async def test_wrong_token_is_an_authentication_error_that_hides_the_token(
    emulator: RunningEmulator,
) -> None:
    """Bad credentials fail with advice, and the token appears in no message or repr."""
    wrong = "wrong-token-" + "z" * 20
    async with _client(emulator, token=wrong) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.list_numbers_page({})
        assert wrong not in repr(client)
    error = caught.value
    assert error.status == 401
    assert "PLIVO_AUTH_TOKEN" in str(error)
    for shown in (str(error), repr(error), error.message, error.path):
        assert wrong not in shown
        assert emulator.auth_token not in shown


async def test_filters_reach_the_server_and_select_numbers(emulator: RunningEmulator) -> None:
    """List filters go to the server as query parameters, and only matching numbers come back."""
    query = {"type": "tollfree", "services": "voice,sms"}
    async with _client(emulator) as client:
        records = [r async for r in client.iter_numbers(query)]
    assert records
    assert all(r.number_type == "tollfree" and {"voice", "sms"} <= r.services for r in records)
    expected = {
        n
        for n, obj in emulator.emulator.numbers.items()
        if obj["number_type"] == "tollfree" and obj["voice_enabled"] and obj["sms_enabled"]
    }
    assert {r.number for r in records} == expected
    for params in _listing_queries(emulator):
        assert params["type"] == ["tollfree"]
        assert params["services"] == ["voice,sms"]


async def test_applications_and_subaccounts_are_listed_and_fetched(
    emulator: RunningEmulator,
) -> None:
    """The ids a plan refers to are looked up one by one; an unknown one is NotFoundError."""
    app_id, sa_id = APPLICATION_IDS[0], SUBACCOUNT_IDS[0]
    async with _client(emulator) as client:
        app = await client.get_application(app_id)
        sub = await client.get_subaccount(sa_id)
        with pytest.raises(NotFoundError):
            await client.get_application("0000000000")
        with pytest.raises(NotFoundError):
            await client.get_subaccount("SA" + "0" * 18)
    assert app["app_id"] == app_id
    assert sub["auth_id"] == sa_id


# Pacing and the retry hook


async def test_pace_is_awaited_once_per_request(emulator: RunningEmulator) -> None:
    """Every request of a run, listing included, goes through the run's rate limiter."""
    pace = Counter()
    number = next(iter(emulator.emulator.numbers))
    async with _client(emulator, pace=pace) as client:
        _ = [r async for r in client.iter_numbers({}, page_concurrency=4)]
        await client.get_number(number)
        await client.update_number(number, {"alias": "paced"})
        await client.get_application(APPLICATION_IDS[0])
    assert pace.calls == len(emulator.emulator.served)


async def test_attempt_wraps_every_page_fetch(emulator: RunningEmulator) -> None:
    """The retry layer sees each page fetch, so a failed page can be retried on its own."""
    attempts: list[NumberPage] = []

    async def attempt(op: Callable[[], Awaitable[NumberPage]]) -> NumberPage:
        page = await op()
        attempts.append(page)
        return page

    async with _client(emulator) as client:
        walked = [r async for r in client.iter_numbers({}, page_concurrency=3, attempt=attempt)]
    assert sorted(page.offset for page in attempts) == list(range(0, len(walked), 20))


async def test_leaving_a_listing_early_stops_fetching(emulator: RunningEmulator) -> None:
    """A reader that stops after a few numbers does not page through the whole account."""
    async with (
        _client(emulator) as client,
        aclosing(client.iter_numbers({}, page_concurrency=2)) as records,
    ):
        async for record in records:
            assert record.number
            break
    assert len(_listing_queries(emulator)) <= 3


# Failures, each surfacing as a typed error


async def test_throttling_is_a_rate_limited_error_with_retry_after(
    make_emulator: MakeEmulator,
) -> None:
    """A 429 from the server surfaces as RateLimitedError carrying the Retry-After seconds."""
    emu = await _faulty(make_emulator, Faults(throttle_rate=1.0, retry_after=2))
    async with _client(emu) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.list_numbers_page({})
    assert caught.value.status == 429
    assert caught.value.retry_after == 2.0


async def test_server_failures_are_server_errors(make_emulator: MakeEmulator) -> None:
    """A 5xx from the server surfaces as ServerError."""
    emu = await _faulty(make_emulator, Faults(error_rate=1.0))
    async with _client(emu) as client:
        with pytest.raises(ServerError) as caught:
            await client.list_numbers_page({})
    assert caught.value.status in (500, 503)


async def test_a_dropped_connection_is_a_transport_error(make_emulator: MakeEmulator) -> None:
    """A connection closed without an answer surfaces as TransportError, not an aiohttp error."""
    emu = await _faulty(make_emulator, Faults(drop_rate=1.0))
    async with _client(emu) as client:
        number = next(iter(emu.emulator.numbers))
        with pytest.raises(TransportError) as caught:
            await client.update_number(number, {"alias": "lost"})
    assert caught.value.status is None


async def test_a_refused_connection_is_a_transport_error() -> None:
    """Nothing listening on the port surfaces as TransportError naming the address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    creds = Credentials(auth_id="MA" + "X" * 18, auth_token="token")
    async with PlivoClient(creds, base_url=f"http://127.0.0.1:{port}") as client:
        with pytest.raises(TransportError) as caught:
            await client.get_number("14155550100")
    assert f"127.0.0.1:{port}" in str(caught.value)


async def test_a_slow_server_is_a_transport_error_after_the_timeout(
    make_emulator: MakeEmulator,
) -> None:
    """A server slower than the client's timeout surfaces as TransportError saying it timed out."""
    emu = await _faulty(make_emulator, Faults(latency=0.5))
    async with _client(emu, timeout=0.1) as client:
        with pytest.raises(TransportError, match="timed out"):
            await client.list_numbers_page({})


async def test_a_dropped_unrent_is_not_silently_sent_again(make_emulator: MakeEmulator) -> None:
    """An unrent whose connection drops after it was applied surfaces as a TransportError, once.

    aiohttp on its own would re-send the DELETE on a reused connection and report the second
    answer, a 404, as if the number had never been ours.
    """
    from bulkops.emulator.guards import FaultDice

    emu = await make_emulator(numbers=20)
    number = sorted(emu.emulator.numbers)[0]
    async with _client(emu) as client:
        await client.get_number(number)  # leaves a kept-alive connection in the pool
        emu.emulator.dice = FaultDice(Faults(drop_after_rate=1.0), seed=1)
        with pytest.raises(TransportError):
            await client.unrent_number(number)
    deletes = [s for s in emu.emulator.served if s.method == "DELETE"]
    assert len(deletes) == 1
    assert number not in emu.emulator.numbers
