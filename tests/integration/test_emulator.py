"""The emulator over plain HTTP, as any client would see it: envelopes, filters, updates, limits."""

from __future__ import annotations

import ast
import asyncio
import base64
import datetime
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import bulkops.emulator as emulator_package
from bulkops.emulator import (
    APPLICATION_IDS,
    SUBACCOUNT_IDS,
    Emulator,
    EmulatorConfig,
    Faults,
    RateLimit,
    RunningEmulator,
)
from tests.conftest import MakeEmulator

Obj = Mapping[str, Any]
TODAY = datetime.date(2026, 5, 1)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Api:
    """A bare HTTP client for one emulator, with the account path and credentials filled in."""

    def __init__(self, session: aiohttp.ClientSession, running: RunningEmulator) -> None:
        self.session = session
        self.account = f"/v1/Account/{running.auth_id}"
        self.auth = {"Authorization": basic(running.auth_id, running.auth_token)}

    async def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        url = path if path.startswith("/v1/") or path.startswith("/__") else self.account + path
        async with self.session.request(
            method, url, headers=headers if headers is not None else self.auth, **kwargs
        ) as response:
            raw = await response.read()
            body = await response.json() if raw else None
            return response.status, body, response

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("GET", path, params=params)
        return status, body

    async def update(self, target: str, **fields: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("POST", f"/Number/{target}/", json=fields)
        return status, body

    async def walk(self, **filters: str) -> list[str]:
        """Every number matching `filters`, paging by offset as the SDK does."""
        seen: list[str] = []
        while True:
            status, body = await self.get("/Number/", **filters, limit=20, offset=len(seen))
            assert status == 200, body
            seen += [obj["number"] for obj in body["objects"]]
            if body["meta"]["next"] is None:
                return seen


@asynccontextmanager
async def api_for(running: RunningEmulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(running.base_url) as session:
        yield Api(session, running)


@pytest.fixture
async def api(emulator: RunningEmulator) -> AsyncIterator[Api]:
    async with api_for(emulator) as client:
        yield client


def a_number(emulator: RunningEmulator, test: Callable[[Obj], bool] = lambda o: True) -> str:
    return next(n for n, obj in sorted(emulator.emulator.numbers.items()) if test(obj))


def is_us(obj: Obj) -> bool:
    return bool(obj["country"] == "United States")


# --- Envelope and paging ---------------------------------------------------------------------


async def test_list_envelope_has_plivo_meta_and_relative_paging_links(
    api: Api, emulator: RunningEmulator
) -> None:
    """A middle page carries api_id, all five meta keys and next/previous with only limit/offset."""
    status, body, response = await api.call("GET", "/Number/", params={"limit": 5, "offset": 5})
    assert status == 200
    assert response.content_type == "application/json"
    assert set(body) == {"api_id", "meta", "objects"}
    assert body["meta"] == {
        "limit": 5,
        "next": f"/v1/Account/{emulator.auth_id}/Number/?limit=5&offset=10",
        "offset": 5,
        "previous": f"/v1/Account/{emulator.auth_id}/Number/?limit=5&offset=0",
        "total_count": 200,
    }
    assert len(body["objects"]) == 5


async def test_first_and_last_pages_have_null_links(api: Api) -> None:
    """The first page has no previous link and the last page has no next link."""
    _, first = await api.get("/Number/")
    _, last = await api.get("/Number/", offset=190)
    assert first["meta"]["previous"] is None
    assert first["meta"]["limit"] == 20
    assert last["meta"]["next"] is None
    assert len(last["objects"]) == 10


async def test_walking_every_page_returns_each_number_once(
    api: Api, emulator: RunningEmulator
) -> None:
    """Paging by offset visits every number exactly once, in a stable order."""
    walked = await api.walk()
    assert walked == sorted(emulator.emulator.numbers)


async def test_no_match_is_an_empty_page_not_an_error(api: Api) -> None:
    """A filter nobody matches answers 200 with objects: [] and total_count 0."""
    status, body = await api.get("/Number/", alias="no such alias anywhere")
    assert status == 200
    assert body["objects"] == []
    assert body["meta"]["total_count"] == 0


@pytest.mark.parametrize(
    "params",
    [{"limit": 21}, {"limit": 0}, {"limit": "ten"}, {"offset": -1}, {"offset": "1.5"}],
)
async def test_out_of_range_paging_is_a_400(api: Api, params: dict[str, Any]) -> None:
    """limit outside 1..20, a negative offset or a non-integer is refused with an error body."""
    status, body = await api.get("/Number/", **params)
    assert status == 400
    assert set(body) == {"api_id", "error"}


# --- Filters -------------------------------------------------------------------------------

FILTERS: list[tuple[dict[str, str], Callable[[Obj], bool]]] = [
    ({"type": "tollfree"}, lambda o: o["number_type"] == "tollfree"),
    ({"number_type": "local"}, lambda o: o["number_type"] == "local"),
    ({"type": "mobile"}, lambda o: o["number_type"] == "mobile"),
    ({"number_startswith": "1415"}, lambda o: o["number"].startswith("1415")),
    ({"number_startswith": "44"}, lambda o: o["number"].startswith("44")),
    ({"subaccount": SUBACCOUNT_IDS[0]}, lambda o: o["sub_account"] == SUBACCOUNT_IDS[0]),
    ({"alias": "Main Line"}, lambda o: o["alias"] == "Main Line"),
    ({"services": "voice"}, lambda o: o["voice_enabled"]),
    ({"services": "sms,mms"}, lambda o: o["sms_enabled"] and o["mms_enabled"]),
    ({"cnam_lookup": "enabled"}, lambda o: o["cnam_lookup"] == "enabled"),
    ({"renewal_date": "2026-05-04"}, lambda o: o["renewal_date"] == "2026-05-04"),
    ({"renewal_date__lt": "2026-05-08"}, lambda o: o["renewal_date"] < "2026-05-08"),
    ({"renewal_date__lte": "2026-05-08"}, lambda o: o["renewal_date"] <= "2026-05-08"),
    ({"renewal_date__gt": "2026-06-01"}, lambda o: o["renewal_date"] > "2026-06-01"),
    ({"renewal_date__gte": "2026-06-01"}, lambda o: o["renewal_date"] >= "2026-06-01"),
    (
        {"tendlc_registration_status": "unregistered"},
        lambda o: o["tendlc_registration_status"] == "UNREGISTERED",
    ),
    (
        {"tendlc_registration_status": "in_progress"},
        lambda o: o["tendlc_registration_status"] == "PROCESSING",
    ),
    (
        {"tendlc_registration_status": "registered"},
        lambda o: o["tendlc_registration_status"] == "COMPLETED",
    ),
    ({"tendlc_campaign_id": "CAMP002"}, lambda o: o["tendlc_campaign_id"] == "CAMP002"),
    (
        {"toll_free_sms_verification": "verified"},
        lambda o: o["toll_free_sms_verification"] == "VERIFIED",
    ),
    (
        {"toll_free_sms_verification": "pending_verification"},
        lambda o: o["toll_free_sms_verification"] == "PENDING_VERIFICATION",
    ),
    (
        {"type": "local", "services": "sms", "subaccount": SUBACCOUNT_IDS[1]},
        lambda o: (
            o["number_type"] == "local"
            and o["sms_enabled"]
            and o["sub_account"] == SUBACCOUNT_IDS[1]
        ),
    ),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS, ids=lambda v: str(v)[:60])
async def test_each_filter_returns_exactly_the_matching_numbers(
    make_emulator: MakeEmulator, params: dict[str, str], expected: Callable[[Obj], bool]
) -> None:
    """Every documented filter selects exactly the numbers whose fields match, and some exist."""
    running = await make_emulator(numbers=1500, seed=7, today=TODAY)
    matching = sorted(n for n, obj in running.emulator.numbers.items() if expected(obj))
    assert matching, f"the seeded inventory should have numbers for {params}"
    async with api_for(running) as api:
        assert await api.walk(**params) == matching
        _, first = await api.get("/Number/", **params)
    assert first["meta"]["total_count"] == len(matching)
    assert "type=" not in (first["meta"]["next"] or ""), "next carries only limit and offset"


@pytest.mark.parametrize(
    ("params", "hint"),
    [
        ({"type": "landline"}, "type must be one of"),
        ({"services": "voice,fax"}, "services must be one of"),
        ({"renewal_date__lt": "next week"}, "date like"),
        ({"tendlc_registration_status": "COMPLETEDISH"}, "tendlc_registration_status"),
        ({"toll_free_sms_verification": "maybe"}, "toll_free_sms_verification"),
        ({"cnam_lookup": "on"}, "cnam_lookup"),
        ({"subaccount": "marketing"}, "subaccount auth_id"),
        ({"number_startswith": "+1-415"}, "digits"),
        ({"colour": "blue"}, "unknown query parameter"),
    ],
)
async def test_invalid_filter_values_are_a_400_that_says_why(
    api: Api, params: dict[str, str], hint: str
) -> None:
    """A bad filter value is refused with an error naming the problem."""
    status, body = await api.get("/Number/", **params)
    assert status == 400
    assert hint in body["error"]


async def test_listing_reflects_updates_made_after_an_earlier_listing(
    api: Api, emulator: RunningEmulator
) -> None:
    """A cached listing never hides a change: an updated alias shows up in the next query."""
    number = a_number(emulator)
    before = await api.walk(alias="Freshly Renamed")
    assert before == []
    status, _ = await api.update(number, alias="Freshly Renamed")
    assert status == 202
    assert await api.walk(alias="Freshly Renamed") == [number]


# --- Auth ----------------------------------------------------------------------------------


async def test_wrong_token_missing_auth_and_foreign_account_are_401(
    api: Api, emulator: RunningEmulator
) -> None:
    """Bad credentials, none at all, or another account in the path all get the 401 body."""
    bad = {"Authorization": basic(emulator.auth_id, "wrong-token")}
    other = "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Number/"
    for path, headers in [("/Number/", bad), ("/Number/", {}), (other, api.auth)]:
        status, body, response = await api.call("GET", path, headers=headers)
        assert status == 401
        assert body == {"error": "authentication credentials were not provided"}
        assert response.content_type == "application/json"


async def test_json_content_type_on_bodiless_get_and_delete_is_accepted(
    api: Api, emulator: RunningEmulator
) -> None:
    """The SDK's Content-Type: application/json on GET and DELETE does not upset the server."""
    number = a_number(emulator)
    headers = {**api.auth, "Content-Type": "application/json"}
    status, body, _ = await api.call("GET", f"/Number/{number}/", headers=headers)
    assert status == 200
    assert body["number"] == number
    status, body, _ = await api.call("DELETE", f"/Number/{number}/", headers=headers)
    assert (status, body) == (204, None)


# --- Objects ---------------------------------------------------------------------------------


async def test_get_one_number_is_the_listed_object_plus_api_id(
    api: Api, emulator: RunningEmulator
) -> None:
    """GET of one number returns its flat object with Plivo's fields and an api_id."""
    number = a_number(emulator, lambda o: o["application"] is not None)
    status, body = await api.get(f"/Number/{number}/")
    assert status == 200
    assert body.pop("api_id")
    assert body == emulator.emulator.numbers[number]
    assert body["resource_uri"] == f"/v1/Account/{emulator.auth_id}/Number/{number}/"
    assert re.fullmatch(rf"/v1/Account/{emulator.auth_id}/Application/\d+/", body["application"])
    assert "sub_account" in body
    assert "subaccount" not in body
    for rate in ("monthly_rental_rate", "voice_rate", "sms_rate", "mms_rate"):
        assert re.fullmatch(r"\d+\.\d{5}", body[rate])


async def test_unknown_number_route_and_method_have_json_errors(api: Api) -> None:
    """An unknown number is 404 'not found'; an unknown route 404; a wrong method 405."""
    status, body = await api.get("/Number/19999999999/")
    assert (status, body["error"]) == (404, "not found")
    status, body = await api.get("/Recording/")
    assert (status, body["error"]) == (404, "not found")
    status, body, _ = await api.call("PUT", "/Number/19999999999/")
    assert status == 405
    assert "error" in body


async def test_applications_and_subaccounts_are_listed_and_fetched(api: Api) -> None:
    """The fixed applications and subaccounts list in the Plivo envelope and fetch by id."""
    status, apps = await api.get("/Application/")
    assert status == 200
    assert sorted(a["app_id"] for a in apps["objects"]) == sorted(APPLICATION_IDS)
    assert apps["meta"]["total_count"] == len(APPLICATION_IDS)
    status, app = await api.get(f"/Application/{APPLICATION_IDS[0]}/")
    assert status == 200
    assert {"app_id", "app_name", "answer_url", "resource_uri", "api_id"} <= set(app)
    status, subs = await api.get("/Subaccount/", limit=2)
    assert [s["auth_id"] for s in subs["objects"]] == sorted(SUBACCOUNT_IDS)[:2]
    status, sub = await api.get(f"/Subaccount/{SUBACCOUNT_IDS[0]}/")
    assert status == 200
    assert sub["enabled"] is True
    assert sub["name"]
    assert (await api.get("/Application/123/"))[0] == 404


# --- Updates ---------------------------------------------------------------------------------


async def test_update_links_app_by_uri_and_empty_app_id_unlinks(
    api: Api, emulator: RunningEmulator
) -> None:
    """app_id sets the application URI, "" unlinks it, and the SDK's extra number key is ignored."""
    number = a_number(emulator)
    status, body = await api.update(number, number=number, app_id=APPLICATION_IDS[2])
    assert status == 202
    assert body["message"] == "changed"
    assert body["api_id"]
    obj = emulator.emulator.numbers[number]
    assert obj["application"] == f"/v1/Account/{emulator.auth_id}/Application/{APPLICATION_IDS[2]}/"
    assert (await api.update(number, app_id=""))[0] == 202
    assert emulator.emulator.numbers[number]["application"] is None


async def test_update_moves_a_number_to_a_subaccount(api: Api, emulator: RunningEmulator) -> None:
    """subaccount moves the number; the main account still sees and changes it afterwards."""
    number = a_number(emulator, lambda o: o["sub_account"] is None)
    assert (await api.update(number, subaccount=SUBACCOUNT_IDS[3]))[0] == 202
    status, body = await api.get(f"/Number/{number}/")
    assert status == 200
    assert body["sub_account"] == SUBACCOUNT_IDS[3]
    assert number in await api.walk(subaccount=SUBACCOUNT_IDS[3])
    assert (await api.update(number, alias="still mine"))[0] == 202


async def test_update_accepts_a_form_encoded_body(api: Api, emulator: RunningEmulator) -> None:
    """A classic form-encoded update works like a JSON one."""
    number = a_number(emulator)
    status, _, _ = await api.call("POST", f"/Number/{number}/", data={"alias": "Form Alias"})
    assert status == 202
    assert emulator.emulator.numbers[number]["alias"] == "Form Alias"


@pytest.mark.parametrize(
    ("fields", "hint"),
    [
        ({"app_id": "12345"}, "not an application"),
        ({"subaccount": "SAXXXXXXXXXXXXXXXXXX"}, "not a subaccount"),
        ({"caller_reputation": "enabled"}, "profile_uuid is required"),
        ({"cnam_lookup": "maybe"}, "cnam_lookup must be one of"),
        ({"cnam_callback_method": "PUT"}, "GET, POST"),
        ({"cnam_callback_url": "not a url"}, "http(s) URL"),
        ({"nickname": "x"}, "unknown field"),
        ({"alias": 5}, "must be a string"),
    ],
)
async def test_invalid_updates_are_a_400_and_change_nothing(
    api: Api, emulator: RunningEmulator, fields: dict[str, Any], hint: str
) -> None:
    """A refused update names the problem and leaves the number exactly as it was."""
    number = a_number(emulator, lambda o: is_us(o) and o["profile_uuid"] is None)
    before = dict(emulator.emulator.numbers[number])
    status, body = await api.update(number, **{"alias": "should not stick", **fields})
    assert status == 400
    assert hint in body["error"]
    assert emulator.emulator.numbers[number] == before
    assert emulator.emulator.mutations == []


async def test_caller_reputation_goes_pending_with_a_profile_and_off_when_disabled(
    api: Api, emulator: RunningEmulator
) -> None:
    """Enabling caller reputation with a profile shows PENDING; disabling clears the status."""
    number = a_number(emulator, lambda o: is_us(o) and o["caller_reputation_status"] is None)
    profile = "0b7a51d2-5f3c-4a51-9d2e-8c0f1a2b3c4d"
    status, _ = await api.update(number, caller_reputation="enabled", profile_uuid=profile)
    assert status == 202
    obj = emulator.emulator.numbers[number]
    assert (obj["caller_reputation_status"], obj["profile_uuid"]) == ("PENDING", profile)
    assert (await api.update(number, caller_reputation="disabled"))[0] == 202
    assert emulator.emulator.numbers[number]["caller_reputation_status"] is None


async def test_cnam_lookup_is_for_us_numbers_only(api: Api, emulator: RunningEmulator) -> None:
    """cnam_lookup changes on a US number and is refused on a foreign one."""
    us = a_number(emulator, lambda o: is_us(o) and o["cnam_lookup"] == "disabled")
    foreign = a_number(emulator, lambda o: not is_us(o))
    assert (await api.update(us, cnam_lookup="enabled"))[0] == 202
    assert emulator.emulator.numbers[us]["cnam_lookup"] == "enabled"
    status, body = await api.update(foreign, cnam_lookup="enabled")
    assert status == 400
    assert "US local and toll-free" in body["error"]


async def test_write_only_callbacks_are_kept_but_never_served(
    api: Api, emulator: RunningEmulator
) -> None:
    """Callback URL and method are accepted and stored, yet a GET does not show them."""
    number = a_number(emulator)
    fields = {"cnam_callback_url": "https://cb.example.com/cnam", "cnam_callback_method": "GET"}
    assert (await api.update(number, **fields))[0] == 202
    assert emulator.emulator.write_only[number] == fields
    _, body = await api.get(f"/Number/{number}/")
    assert "cnam_callback_url" not in body
    assert emulator.emulator.mutations_for(number)[0].fields == fields


async def test_update_of_an_unknown_number_is_404(api: Api) -> None:
    """Updating a number the account does not rent answers 404 'not found'."""
    status, body = await api.update("19999999999", alias="x")
    assert (status, body["error"]) == (404, "not found")


async def test_unrent_is_204_then_the_number_is_gone(api: Api, emulator: RunningEmulator) -> None:
    """DELETE answers 204 with no body; afterwards GET and DELETE are 404 and lists omit it."""
    number = a_number(emulator)
    status, body, _ = await api.call("DELETE", f"/Number/{number}/")
    assert (status, body) == (204, None)
    assert (await api.get(f"/Number/{number}/"))[0] == 404
    assert (await api.call("DELETE", f"/Number/{number}/"))[0] == 404
    assert number not in await api.walk()
    assert [m.method for m in emulator.emulator.mutations_for(number)] == ["DELETE"]


# --- Rate limit and faults -------------------------------------------------------------------


async def test_rate_limit_refuses_the_request_over_budget_then_recovers(
    make_emulator: MakeEmulator,
) -> None:
    """With 10 per second, the 11th rapid request gets 429 and a request a second later passes."""
    running = await make_emulator(rate_limit=RateLimit(requests=10, period=1.0))
    async with api_for(running) as api:
        results = await asyncio.gather(*(api.get("/Number/", limit=1) for _ in range(11)))
        assert sorted(status for status, _ in results) == [200] * 10 + [429]
        refused = next(body for status, body in results if status == 429)
        assert refused["error"] == "too many requests"
        await asyncio.sleep(1.05)
        assert (await api.get("/Number/", limit=1))[0] == 200


async def test_refused_requests_do_not_use_up_the_budget(make_emulator: MakeEmulator) -> None:
    """Hammering a 429 does not prolong it: after one period the full budget is back."""
    running = await make_emulator(rate_limit=RateLimit(requests=3, period=1.0))
    async with api_for(running) as api:
        first = await asyncio.gather(*(api.get("/Application/") for _ in range(8)))
        assert sorted(s for s, _ in first) == [200] * 3 + [429] * 5
        await asyncio.sleep(1.05)
        again = await asyncio.gather(*(api.get("/Application/") for _ in range(3)))
        assert [s for s, _ in again] == [200] * 3


@pytest.mark.parametrize(("retry_after", "header"), [(2.0, "2"), (0.5, "0.5"), (None, None)])
async def test_throttle_fault_answers_429_with_optional_retry_after(
    make_emulator: MakeEmulator, retry_after: float | None, header: str | None
) -> None:
    """throttle_rate=1 makes every request 429 even without a budget; Retry-After when asked."""
    faults = Faults(throttle_rate=1.0, retry_after=retry_after)
    running = await make_emulator(faults=faults)
    async with api_for(running) as api:
        status, body, response = await api.call("GET", "/Number/")
    assert status == 429
    assert body["error"] == "too many requests"
    assert response.headers.get("Retry-After") == header


async def test_error_fault_answers_5xx_with_an_error_body(make_emulator: MakeEmulator) -> None:
    """error_rate=1 answers every request with a 500 or 503 JSON error and changes nothing."""
    running = await make_emulator(faults=Faults(error_rate=1.0))
    number = a_number(running)
    async with api_for(running) as api:
        results = [await api.update(number, alias="nope") for _ in range(6)]
    assert {status for status, _ in results} <= {500, 503}
    assert all(body["error"] for _, body in results)
    assert running.emulator.mutations == []


async def test_drop_before_cuts_the_connection_and_applies_nothing(
    make_emulator: MakeEmulator,
) -> None:
    """drop_rate=1 closes the connection with no response, and the update is not applied."""
    running = await make_emulator(faults=Faults(drop_rate=1.0))
    number = a_number(running)
    before = dict(running.emulator.numbers[number])
    async with api_for(running) as api:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.update(number, alias="lost")
    assert running.emulator.numbers[number] == before
    assert running.emulator.mutations == []
    assert [s.status for s in running.emulator.served] == [0]


async def test_drop_after_applies_the_change_but_the_client_never_hears(
    make_emulator: MakeEmulator,
) -> None:
    """drop_after_rate=1 applies the update, then closes the connection without answering."""
    running = await make_emulator(faults=Faults(drop_after_rate=1.0))
    number = a_number(running)
    async with api_for(running) as api:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.update(number, alias="applied in the dark")
    assert running.emulator.numbers[number]["alias"] == "applied in the dark"
    assert [m.number for m in running.emulator.mutations] == [number]
    assert running.emulator.count(status=0) == 1


async def test_latency_delays_every_answer(make_emulator: MakeEmulator) -> None:
    """With latency set, no answer comes back sooner than that."""
    running = await make_emulator(faults=Faults(latency=0.05))
    async with api_for(running) as api:
        started = time.monotonic()
        status, _ = await api.get("/Number/", limit=1)
    assert status == 200
    assert time.monotonic() - started >= 0.05


async def test_partial_faults_are_reproducible_for_a_seed(make_emulator: MakeEmulator) -> None:
    """Two emulators with the same seed and fault rates fault the same requests."""
    faults = Faults(error_rate=0.3, throttle_rate=0.2)
    outcomes = []
    for _ in range(2):
        running = await make_emulator(seed=11, faults=faults)
        async with api_for(running) as api:
            outcomes.append([(await api.get("/Subaccount/"))[0] for _ in range(30)])
    assert outcomes[0] == outcomes[1]
    assert {200, 429} <= set(outcomes[0])
    assert set(outcomes[0]) & {500, 503}


# --- Records and admin -----------------------------------------------------------------------


async def test_every_request_is_recorded_with_its_status(
    api: Api, emulator: RunningEmulator
) -> None:
    """served lists each request with method, path and query, and status; count() tallies them."""
    number = a_number(emulator)
    await api.get("/Number/", type="local")
    await api.update(number, alias="recorded")
    await api.get("/Number/19999999999/")
    emu = emulator.emulator
    assert [(s.method, s.status) for s in emu.served] == [("GET", 200), ("POST", 202), ("GET", 404)]
    assert emu.served[0].path.endswith("/Number/?type=local")
    assert emu.count(status=404) == 1
    assert emu.count(method="GET") == 2
    assert [m.fields for m in emu.mutations_for(number)] == [{"alias": "recorded"}]
    emu.reset_records()
    assert (emu.served, emu.mutations) == ([], [])


async def test_admin_routes_report_and_reset_when_enabled(make_emulator: MakeEmulator) -> None:
    """With admin on, /__admin/ shows served requests, mutations and stats, and resets them."""
    running = await make_emulator(admin=True)
    number = a_number(running)
    async with api_for(running) as api:
        await api.update(number, alias="seen by admin")
        await api.get("/Number/", limit=1)
        _, served, _ = await api.call("GET", "/__admin/served", headers={}, params={"since": 1})
        _, mutations, _ = await api.call("GET", "/__admin/mutations", headers={})
        _, stats, _ = await api.call("GET", "/__admin/stats", headers={})
        bad, complaint, _ = await api.call("GET", "/__admin/served?since=-1", headers={})
        status, _, _ = await api.call("POST", "/__admin/reset", headers={})
    assert (bad, complaint["error"]) == (400, "since must be 0 or more, got -1")
    assert [row["method"] for row in served["served"]] == ["GET"]
    assert served["next"] == 2
    assert mutations["mutations"][0]["fields"] == {"alias": "seen by admin"}
    assert stats["by_status"] == {"200": 1, "202": 1}
    assert stats["by_method"] == {"GET": 1, "POST": 1}
    assert status == 200
    assert running.emulator.served == []


async def test_admin_routes_are_404_when_not_enabled(api: Api, emulator: RunningEmulator) -> None:
    """Without admin=True the introspection routes do not exist."""
    status, body, _ = await api.call("GET", "/__admin/stats", headers={})
    assert (status, body["error"]) == (404, "not found")
    assert emulator.emulator.served == []


async def test_the_auth_token_never_shows_in_reprs(emulator: RunningEmulator) -> None:
    """Printing the running emulator, its state or its config never reveals the token."""
    config = EmulatorConfig(auth_id="MA" + "Q" * 18, auth_token="s3cret-token-value")
    shown = repr(emulator) + repr(emulator.emulator) + repr(config)
    assert emulator.auth_token not in shown
    assert "s3cret-token-value" not in shown


# --- Inventory -------------------------------------------------------------------------------


def test_inventory_is_deterministic_for_numbers_seed_and_today() -> None:
    """The same (numbers, seed, today) always builds the same inventory; another seed does not."""
    base = {"numbers": 300, "today": TODAY, "auth_id": "MA" + "D" * 18}
    first = Emulator(EmulatorConfig(seed=4, **base)).numbers  # type: ignore[arg-type]
    again = Emulator(EmulatorConfig(seed=4, **base)).numbers  # type: ignore[arg-type]
    other = Emulator(EmulatorConfig(seed=5, **base)).numbers  # type: ignore[arg-type]
    assert first == again
    assert list(first) == list(again)
    assert set(first) != set(other)


def test_inventory_looks_like_a_real_account() -> None:
    """A seeded account mixes countries, types, apps, subaccounts, aliases and 10DLC states."""
    numbers = list(Emulator(EmulatorConfig(numbers=3000, seed=1, today=TODAY)).numbers.values())
    share = Counter[str]()
    for obj in numbers:
        assert re.fullmatch(r"[0-9]{8,15}", obj["number"])
        share[obj["number_type"]] += 1
        share["no app"] += obj["application"] is None
        share["subaccount"] += obj["sub_account"] is not None
        share["soon"] += TODAY.isoformat() <= obj["renewal_date"] <= "2026-05-08"
        if obj["country"] != "United States":
            assert obj["cnam_lookup"] is None
    assert len({obj["number"] for obj in numbers}) == 3000
    assert share["local"] > share["tollfree"] > 0
    assert min(share["mobile"], share["fixed"], share["national"]) > 0
    assert 0.15 <= share["no app"] / 3000 <= 0.25
    assert 0.30 <= share["subaccount"] / 3000 <= 0.40
    assert share["soon"] > 0
    aliases = Counter(obj["alias"] for obj in numbers)
    assert aliases["Main Line"] > 1
    assert min(aliases[None], aliases[""]) > 0
    assert {
        obj["tendlc_registration_status"] for obj in numbers if obj["number_type"] == "local"
    } == {
        "UNREGISTERED",
        "PROCESSING",
        "COMPLETED",
    }
    tollfree = Counter(
        (obj["sms_enabled"], obj["toll_free_sms_verification"])
        for obj in numbers
        if obj["number_type"] == "tollfree"
    )
    assert {state for sms, state in tollfree if sms} == {
        "UNVERIFIED",
        "PENDING_VERIFICATION",
        "VERIFIED",
    }
    assert {state for sms, state in tollfree if not sms} == {None}
    renewals = sorted(obj["renewal_date"] for obj in numbers)
    assert renewals[0] >= "2026-04-01"
    assert renewals[-1] <= "2026-06-30"
    # A few numbers were rented today (see test_emulator_inventory for the recent share).
    assert all(obj["added_on"] <= TODAY.isoformat() for obj in numbers)


def test_hand_edits_show_in_listings_after_invalidate() -> None:
    """A test that edits `numbers` directly sees its edit in listings once it invalidates them."""
    emu = Emulator(EmulatorConfig(numbers=50, today=TODAY))
    assert emu.list_numbers([("alias", "Hand Made")])["objects"] == []
    number = sorted(emu.numbers)[10]
    emu.numbers[number]["alias"] = "Hand Made"
    emu.invalidate_listings()
    assert [o["number"] for o in emu.list_numbers([("alias", "Hand Made")])["objects"]] == [number]


def test_emulator_imports_nothing_else_of_bulkops() -> None:
    """The emulator depends only on the stdlib and aiohttp, so it is an honest other side."""
    package = Path(emulator_package.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] == "bulkops":
                    assert name.startswith("bulkops.emulator"), f"{source.name} imports {name}"
