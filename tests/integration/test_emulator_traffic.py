"""The Call and Message list APIs over the seeded traffic history, as a client sees them."""

from __future__ import annotations

import datetime
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bulkops.emulator import (
    EmulatorConfig,
    RateLimit,
    RunningEmulator,
    TrafficKind,
    TrafficRecord,
)
from bulkops.emulator.traffic import digits, involves
from tests.conftest import MakeEmulator
from tests.integration.test_emulator import Api, api_for

TODAY = datetime.date(2026, 5, 1)
DAY = 86_400
# Most tests page through many Message lists: Plivo's 20 per minute is tested on its own below.
TRAFFIC_CONFIG = EmulatorConfig(
    numbers=200, seed=1, today=TODAY, rate_limit=None, message_rate_limit=None, admin=True
)
CALL_KEYS = {  # FIX callListResponse.json, plus what DOC-calls' example record adds
    "answer_time",
    "api_id",
    "bill_duration",
    "billed_duration",
    "call_direction",
    "call_duration",
    "call_uuid",
    "end_time",
    "from_number",
    "initiation_time",
    "parent_call_uuid",
    "resource_uri",
    "to_number",
    "total_amount",
    "total_rate",
    "call_state",
    "conference_uuid",
    "hangup_cause_code",
    "hangup_cause_name",
    "hangup_source",
    "stir_verification",
}
MESSAGE_KEYS = {  # FIX messageListResponse.json, plus the fields the documented filters name
    "error_code",
    "error_message",
    "from_number",
    "message_direction",
    "message_sent_time",
    "message_state",
    "message_time",
    "message_type",
    "message_updated_time",
    "message_uuid",
    "resource_uri",
    "to_number",
    "total_amount",
    "total_rate",
    "units",
    "powerpack_id",
    "tendlc_campaign_id",
    "tendlc_registration_status",
    "destination_country_iso2",
    "conversation_id",
    "conversation_origin",
}
PLIVO_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00")


@pytest.fixture
async def running(make_emulator: MakeEmulator) -> RunningEmulator:
    return await make_emulator(TRAFFIC_CONFIG)


@pytest.fixture
async def api(running: RunningEmulator) -> AsyncIterator[Api]:
    async with api_for(running) as client:
        yield client


def stamp(at: float) -> str:
    """A time as the list filters take it: `YYYY-MM-DD HH:MM:SS`, UTC."""
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def now_of(running: RunningEmulator) -> float:
    return running.emulator.clock.timestamp()


async def walk(api: Api, kind: str, **params: Any) -> list[dict[str, Any]]:
    """Every object of a Call or Message listing, paging by offset."""
    seen: list[dict[str, Any]] = []
    while True:
        status, body = await api.get(f"/{kind}/", **params, limit=20, offset=len(seen))
        assert status == 200, body
        seen += body["objects"]
        if body["meta"]["next"] is None:
            return seen


def uuids(objects: list[dict[str, Any]], key: str) -> list[str]:
    return [obj[key] for obj in objects]


def expected(
    records: list[Any], low: float, high: float | None, test: Callable[[Any], bool] = lambda r: True
) -> list[str]:
    return [r.uuid for r in records if r.at >= low and (high is None or r.at <= high) and test(r)]


async def calls_90_days(api: Api, running: RunningEmulator, **params: str) -> list[dict[str, Any]]:
    """Every call of the last 90 days, in three windows of 30 days, as a careful client reads."""
    now = now_of(running)
    found: list[dict[str, Any]] = []
    for start in (now - 30 * DAY, now - 60 * DAY, now - 90 * DAY):
        window = {"end_time__gte": stamp(start), "end_time__lt": stamp(start + 30 * DAY)}
        found += await walk(api, "Call", **window, **params)
    return found


async def messages_90_days(
    api: Api, running: RunningEmulator, **params: str
) -> list[dict[str, Any]]:
    # Asking for more than 90 days gets what the server still keeps, measured by its own clock.
    since = stamp(now_of(running) - 100 * DAY)
    return await walk(api, "Message", message_time__gte=since, **params)


# --- Envelopes and objects ---------------------------------------------------------------------


async def test_call_list_has_the_number_list_envelope_and_plivo_shaped_cdrs(
    api: Api, running: RunningEmulator
) -> None:
    """A Call page carries api_id, the five meta keys with relative links, and CDRs like Plivo's."""
    status, body, response = await api.call("GET", "/Call/", params={"limit": 3, "offset": 3})
    assert status == 200
    assert response.content_type == "application/json"
    assert set(body) == {"api_id", "meta", "objects"}
    path = f"/v1/Account/{running.auth_id}/Call/"
    assert body["meta"]["next"] == f"{path}?limit=3&offset=6"
    assert body["meta"]["previous"] == f"{path}?limit=3&offset=0"
    assert set(body["meta"]) == {"limit", "next", "offset", "previous", "total_count"}
    obj = body["objects"][0]
    assert set(obj) == CALL_KEYS
    assert obj["resource_uri"] == f"{path}{obj['call_uuid']}/"
    for field in ("end_time", "answer_time", "initiation_time"):
        assert PLIVO_TIME.fullmatch(obj[field]), obj[field]
    assert obj["initiation_time"] <= obj["answer_time"] <= obj["end_time"]
    assert obj["bill_duration"] == obj["call_duration"] <= obj["billed_duration"]
    assert obj["billed_duration"] % 60 == 0
    assert re.fullmatch(r"\d+\.\d{5}", obj["total_amount"])


async def test_message_list_has_the_envelope_and_plivo_shaped_mdrs(
    api: Api, running: RunningEmulator
) -> None:
    """A Message page has the same envelope and MDRs with the fixture's fields, bare digits."""
    status, body = await api.get("/Message/", limit=5)
    assert status == 200
    assert set(body) == {"api_id", "meta", "objects"}
    assert body["meta"]["previous"] is None
    obj = body["objects"][0]
    assert set(obj) == MESSAGE_KEYS
    assert PLIVO_TIME.fullmatch(obj["message_time"])
    assert obj["message_type"] in ("sms", "mms")
    assert obj["from_number"].isdigit()
    assert obj["to_number"].isdigit()
    assert obj["resource_uri"].endswith(f"/Message/{obj['message_uuid']}/")


async def test_lists_are_newest_first_and_pages_do_not_overlap(
    api: Api, running: RunningEmulator
) -> None:
    """Walking a Call listing page by page gives every call once, newest end_time first."""
    calls = await calls_90_days(api, running)
    ends = [obj["end_time"] for obj in calls]
    assert len(set(uuids(calls, "call_uuid"))) == len(calls) > 100
    # The three windows are read newest first, so the whole walk is ordered too.
    assert ends == sorted(ends, reverse=True)


async def test_no_match_is_an_empty_page_with_objects(api: Api) -> None:
    """A filter nobody matches answers 200 with `objects: []`, which the plivo SDK requires."""
    for kind in ("Call", "Message"):
        status, body = await api.get(f"/{kind}/", to_number="19990000000")
        assert status == 200
        assert body["objects"] == []
        assert body["meta"]["total_count"] == 0


async def test_one_call_and_one_message_can_be_fetched_by_uuid(
    api: Api, running: RunningEmulator
) -> None:
    """A record's resource_uri answers with that record; an unknown uuid is 404."""
    _, calls = await api.get("/Call/", limit=1)
    _, messages = await api.get("/Message/", limit=1)
    call, message = calls["objects"][0], messages["objects"][0]
    status, body = await api.get(call["resource_uri"])
    assert status == 200
    assert body.pop("api_id")
    assert body == {k: v for k, v in call.items() if k != "api_id"}
    status, body = await api.get(message["resource_uri"])
    assert (status, body["message_uuid"]) == (200, message["message_uuid"])
    assert (await api.get(f"/Call/{message['message_uuid']}/"))[0] == 404


# --- Windows -----------------------------------------------------------------------------------


async def test_call_list_without_end_time_shows_the_last_seven_days(
    api: Api, running: RunningEmulator
) -> None:
    """With no end_time filter, exactly the calls that ended in the last 7 days are listed."""
    listed = uuids(await walk(api, "Call"), "call_uuid")
    now = now_of(running)
    want = expected(running.emulator.calls(), now - 7 * DAY, now)
    assert listed == want
    assert want
    older = [c for c in running.emulator.calls() if now - 30 * DAY < c.at < now - 7 * DAY]
    assert older, "there are calls just outside the default window"


async def test_call_list_with_only_a_lower_bound_searches_30_days_after_it(
    api: Api, running: RunningEmulator
) -> None:
    """end_time__gte alone lists calls from that moment to 30 days later, not up to now."""
    low = now_of(running) - 80 * DAY
    listed = uuids(await walk(api, "Call", end_time__gte=stamp(low)), "call_uuid")
    assert listed == expected(running.emulator.calls(), low, low + 30 * DAY)
    assert listed


async def test_call_list_with_only_an_upper_bound_searches_30_days_before_it(
    api: Api, running: RunningEmulator
) -> None:
    """end_time__lt alone lists the calls of the 30 days before that moment."""
    high = now_of(running) - 10 * DAY
    listed = uuids(await walk(api, "Call", end_time__lt=stamp(high)), "call_uuid")
    calls = running.emulator.calls()
    assert listed == expected(calls, high - 30 * DAY, high, lambda c: c.at < high)
    assert listed


async def test_call_range_of_up_to_30_days_is_listed_and_a_wider_one_is_a_400(
    api: Api, running: RunningEmulator
) -> None:
    """Bounds exactly 30 days apart are served; 30 days and a minute apart answer 400."""
    low = now_of(running) - 45 * DAY
    exact = {"end_time__gte": stamp(low), "end_time__lte": stamp(low + 30 * DAY)}
    listed = uuids(await walk(api, "Call", **exact), "call_uuid")
    assert listed == expected(running.emulator.calls(), low, low + 30 * DAY)
    wider = {"end_time__gt": stamp(low), "end_time__lt": stamp(low + 30 * DAY + 60)}
    status, body = await api.get("/Call/", **wider)
    assert status == 400
    assert "30 days" in body["error"]


async def test_calls_older_than_90_days_are_never_listed(
    api: Api, running: RunningEmulator
) -> None:
    """A window reaching past 90 days shows only the part inside them; one wholly past, nothing."""
    now = now_of(running)
    calls = running.emulator.calls()
    assert any(now - 120 * DAY < c.at < now - 95 * DAY for c in calls)
    status, body = await api.get(
        "/Call/", end_time__gte=stamp(now - 120 * DAY), end_time__lte=stamp(now - 95 * DAY)
    )
    assert (status, body["objects"]) == (200, [])
    straddling = {"end_time__gte": stamp(now - 100 * DAY), "end_time__lte": stamp(now - 75 * DAY)}
    listed = uuids(await walk(api, "Call", **straddling), "call_uuid")
    assert listed == expected(calls, now - 90 * DAY, now - 75 * DAY)
    assert listed


async def test_exact_end_time_finds_the_call_that_ended_then(
    api: Api, running: RunningEmulator
) -> None:
    """end_time=… with seconds lists exactly the calls that ended at that second."""
    call = running.emulator.calls()[5]
    listed = await walk(api, "Call", end_time=stamp(call.at))
    assert call.uuid in uuids(listed, "call_uuid")
    assert {obj["end_time"][:19] for obj in listed} == {stamp(call.at)}


async def test_message_list_without_message_time_shows_the_last_24_hours(
    api: Api, running: RunningEmulator
) -> None:
    """With no message_time filter, exactly the last day's messages are listed."""
    listed = uuids(await walk(api, "Message"), "message_uuid")
    now = now_of(running)
    assert listed == expected(running.emulator.messages(), now - DAY, now)
    assert listed
    assert any(now - 30 * DAY < m.at < now - DAY for m in running.emulator.messages())


async def test_message_list_has_no_30_day_limit_but_stops_at_90_days(
    api: Api, running: RunningEmulator
) -> None:
    """A message_time range of 85 days is served whole; anything older than 90 days never is."""
    now = now_of(running)
    messages = running.emulator.messages()
    wide = {"message_time__gte": stamp(now - 85 * DAY), "message_time__lte": stamp(now)}
    listed = uuids(await walk(api, "Message", **wide), "message_uuid")
    assert listed == expected(messages, now - 85 * DAY, now)
    assert any(m.at < now - 90 * DAY for m in messages)
    ancient = uuids(
        await walk(api, "Message", message_time__lt=stamp(now - 90 * DAY)), "message_uuid"
    )
    assert ancient == []
    everything = uuids(
        await walk(api, "Message", message_time__gt=stamp(now - 400 * DAY)), "message_uuid"
    )
    assert everything == expected(messages, now - 90 * DAY, None)


# --- Filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "hint"),
    [
        ("Call", {"end_time": "2026-04-01"}, "YYYY-MM-DD HH:MM"),
        ("Call", {"end_time__gt": "2026-04-01T10:00"}, "YYYY-MM-DD HH:MM"),
        ("Call", {"end_time__lt": "2026-02-30 10:00"}, "not a valid time"),
        ("Call", {"call_direction": "sideways"}, "call_direction must be one of"),
        ("Call", {"to_number": "1415-555"}, "phone number"),
        ("Call", {"bill_duration__gt": "-5"}, "whole number"),
        ("Call", {"subaccount": "marketing"}, "subaccount auth_id"),
        ("Call", {"colour": "blue"}, "unknown query parameter"),
        ("Call", {"limit": "21"}, "limit must be between 1 and 20"),
        ("Call", {"offset": "-1"}, "offset must be 0 or more"),
        ("Message", {"message_time__gte": "yesterday"}, "YYYY-MM-DD HH:MM"),
        ("Message", {"message_direction": "up"}, "message_direction must be one of"),
        ("Message", {"message_type": "fax"}, "message_type must be one of"),
        ("Message", {"message_state": "lost"}, "message_state must be one of"),
        ("Message", {"end_time": "2026-04-01 10:00"}, "unknown query parameter"),
        ("Message", {"limit": "0"}, "limit must be between 1 and 20"),
    ],
)
async def test_bad_traffic_filters_are_a_400_that_says_why(
    api: Api, kind: str, params: dict[str, str], hint: str
) -> None:
    """An unknown parameter or a malformed value is refused with an error naming it."""
    status, body = await api.get(f"/{kind}/", **params)
    assert status == 400
    assert set(body) == {"api_id", "error"}
    assert hint in body["error"]


async def test_call_number_filters_match_either_spelling_and_prefixes(
    api: Api, running: RunningEmulator
) -> None:
    """to_number/from_number match with or without "+"; a prefix matches every number under it."""
    emu = running.emulator
    busy = emu.numbers_of_kind(TrafficKind.BUSY)[0]
    want_in = [c.uuid for c in await _visible_calls(running) if involves(c, busy, "inbound")]
    want_out = [c.uuid for c in await _visible_calls(running) if involves(c, busy, "outbound")]
    assert want_in
    assert want_out
    for spelling in (busy, "+" + busy):
        assert uuids(await calls_90_days(api, running, to_number=spelling), "call_uuid") == want_in
        outbound = await calls_90_days(api, running, from_number=spelling)
        assert uuids(outbound, "call_uuid") == want_out
    prefix = busy[:4]
    under = await calls_90_days(api, running, to_number=prefix)
    assert {digits(obj["to_number"])[:4] for obj in under} == {prefix}
    assert len(under) > len(want_in)


async def _visible_calls(running: RunningEmulator) -> list[Any]:
    return [c for c in running.emulator.calls() if running.emulator.is_visible(c)]


async def test_call_filters_on_direction_duration_and_subaccount(
    api: Api, running: RunningEmulator
) -> None:
    """call_direction, bill_duration__gte and subaccount each keep exactly the matching calls."""
    calls = await _visible_calls(running)
    subaccount = next(c.subaccount for c in calls if c.subaccount)
    cases: list[tuple[dict[str, str], Callable[[Any], bool]]] = [
        ({"call_direction": "outbound"}, lambda c: c.direction == "outbound"),
        ({"bill_duration__gte": "300"}, lambda c: c.duration >= 300),
        ({"bill_duration": str(calls[0].duration)}, lambda c: c.duration == calls[0].duration),
        ({"subaccount": subaccount}, lambda c: c.subaccount == subaccount),
    ]
    for params, keep in cases:
        listed = uuids(await calls_90_days(api, running, **params), "call_uuid")
        want = [c.uuid for c in calls if keep(c)]
        assert listed == want, params
        assert 0 < len(want) < len(calls), params


async def test_message_filters_on_numbers_direction_type_and_state(
    api: Api, running: RunningEmulator
) -> None:
    """from_number (E.164 with "+" or bare digits), direction, type and state select exactly."""
    emu = running.emulator
    messages = [m for m in emu.messages() if emu.is_visible(m)]
    sender = next(m.from_number for m in messages if m.direction == "outbound")
    for spelling in (sender, "+" + sender):
        listed = uuids(await messages_90_days(api, running, from_number=spelling), "message_uuid")
        assert listed == [m.uuid for m in messages if m.from_number == sender]
    cases: list[tuple[dict[str, str], Callable[[Any], bool]]] = [
        ({"message_direction": "inbound"}, lambda m: m.direction == "inbound"),
        ({"message_type": "mms"}, lambda m: m.message_type == "mms"),
        ({"message_state": "delivered"}, lambda m: m.state == "delivered"),
    ]
    for params, keep in cases:
        listed = uuids(await messages_90_days(api, running, **params), "message_uuid")
        want = [m.uuid for m in messages if keep(m)]
        assert listed == want, params
        assert 0 < len(want) < len(messages), params


# --- Traffic kinds -----------------------------------------------------------------------------


@pytest.mark.parametrize(("numbers", "seed"), [(200, 1), (200, 2), (350, 3), (500, 1)])
def test_every_traffic_kind_is_in_a_default_sized_inventory(numbers: int, seed: int) -> None:
    """Any inventory of 200-500 numbers has several numbers of each kind of traffic."""
    config = EmulatorConfig(numbers=numbers, seed=seed, today=TODAY)
    from bulkops.emulator import Emulator

    emu = Emulator(config)
    for kind in TrafficKind:
        assert len(emu.numbers_of_kind(kind)) >= 3, kind


def _ages(running: RunningEmulator, records: list[TrafficRecord]) -> list[float]:
    now = now_of(running)
    return [(now - r.at) / DAY for r in records]


async def _seen_by_api(
    api: Api, running: RunningEmulator, number: str
) -> dict[str, list[dict[str, Any]]]:
    return {
        "calls in": await calls_90_days(api, running, to_number=number),
        "calls out": await calls_90_days(api, running, from_number=number),
        "messages in": await messages_90_days(api, running, to_number=number),
        "messages out": await messages_90_days(api, running, from_number=number),
    }


KIND_SHAPES: dict[TrafficKind, set[str]] = {
    TrafficKind.IDLE: set(),
    TrafficKind.INBOUND_CALLS: {"calls in"},
    TrafficKind.OUTBOUND_CALLS: {"calls out"},
    TrafficKind.INBOUND_MESSAGES: {"messages in"},
    TrafficKind.OUTBOUND_MESSAGES: {"messages out"},
    TrafficKind.OVER_90_DAYS: set(),
}


@pytest.mark.parametrize("kind", list(TrafficKind), ids=str)
async def test_each_kind_looks_as_described_and_the_api_agrees_with_the_admin_history(
    api: Api, running: RunningEmulator, kind: TrafficKind
) -> None:
    """For a number of each kind, the 90-day listings show the traffic its kind promises, and
    exactly the visible part of what /__admin/traffic holds for it."""
    number = running.emulator.numbers_of_kind(kind)[0]
    seen = await _seen_by_api(api, running, number)
    status, admin = await api.get("/__admin/traffic", number=number)
    assert status == 200
    history = admin["calls"] + admin["messages"]
    visible = {obj.get("call_uuid") or obj["message_uuid"] for obj in history if obj["visible"]}
    listed = {obj.get("call_uuid") or obj["message_uuid"] for objs in seen.values() for obj in objs}
    assert listed == visible
    present = {name for name, objs in seen.items() if objs}
    records = [r for r in running.emulator.calls() + running.emulator.messages()
               if involves(r, number)]  # fmt: skip
    ages = _ages(running, records)
    if kind in KIND_SHAPES:
        assert present == KIND_SHAPES[kind]
    if kind is TrafficKind.IDLE:
        assert history == []
    elif kind is TrafficKind.OVER_90_DAYS:
        assert history
        assert not any(obj["visible"] for obj in history)
        assert min(ages) > 90
    elif kind is TrafficKind.DAYS_60_90:
        assert present
        assert all(60 < age < 90 for age in ages)
    elif kind is TrafficKind.DAYS_40_50:
        assert present
        assert all(40 <= age <= 50 for age in ages)
    elif kind is TrafficKind.BUSY:
        assert present & {"calls in", "calls out"}
        assert min(ages) < 7
    else:
        assert max(ages) <= 30


async def test_a_busy_number_mixes_directions_and_services(running: RunningEmulator) -> None:
    """Across the busy numbers there are calls and messages both ways, some within a day."""
    emu = running.emulator
    shapes = set()
    for number in emu.numbers_of_kind(TrafficKind.BUSY):
        for record in emu.calls() + emu.messages():
            if involves(record, number):
                shapes.add((type(record).__name__, record.direction))
        assert emu.last_traffic(number, visible_only=True) is not None
    assert shapes == {
        ("CallRecord", "inbound"),
        ("CallRecord", "outbound"),
        ("MessageRecord", "inbound"),
        ("MessageRecord", "outbound"),
    }


async def test_recently_rented_numbers_have_no_traffic(running: RunningEmulator) -> None:
    """A number rented in the last 30 days is idle: no call or message of it anywhere."""
    emu = running.emulator
    recent = [
        n
        for n, obj in emu.numbers.items()
        if (TODAY - datetime.date.fromisoformat(obj["added_on"])).days < 30
    ]
    assert recent
    for number in recent:
        assert emu.traffic_kind(number) is TrafficKind.IDLE
        assert emu.last_traffic(number) is None


async def test_an_unrented_number_keeps_its_past_calls(api: Api, running: RunningEmulator) -> None:
    """Unrenting a number does not erase its call records from the account's history."""
    number = running.emulator.numbers_of_kind(TrafficKind.INBOUND_CALLS)[0]
    before = await calls_90_days(api, running, to_number=number)
    status, _, _ = await api.call("DELETE", f"/Number/{number}/")
    assert status == 204
    assert await calls_90_days(api, running, to_number=number) == before
    assert before


async def test_whole_90_day_message_history_of_200_numbers_fits_the_rate_limit(
    make_emulator: MakeEmulator,
) -> None:
    """An account-wide scan of 90 days of messages is well under 20 pages, so even with Plivo's
    20-per-minute limit on, it completes without a 429."""
    running = await make_emulator(numbers=200, seed=1, today=TODAY)
    assert running.emulator.config.message_rate_limit == RateLimit(20, 60.0)
    async with api_for(running) as api:
        messages = await messages_90_days(api, running)
    pages = -(-len(messages) // 20)
    assert 3 <= pages < 15
    assert running.emulator.count(status=429) == 0


# --- Traffic added at run time -----------------------------------------------------------------


async def test_a_call_added_during_the_run_shows_up_first(
    api: Api, running: RunningEmulator
) -> None:
    """add_call (a call arriving between plan and apply) is listed at once, newest first."""
    emu = running.emulator
    number = emu.numbers_of_kind(TrafficKind.IDLE)[0]
    assert (await api.get("/Call/", to_number=number))[1]["objects"] == []
    record = emu.add_call(number, direction="inbound", duration=42)
    _, body = await api.get("/Call/", to_number=number)
    assert uuids(body["objects"], "call_uuid") == [record.uuid]
    assert body["objects"][0]["bill_duration"] == 42
    _, everyone = await api.get("/Call/", limit=1)
    assert everyone["objects"][0]["call_uuid"] == record.uuid
    assert emu.last_traffic(number, direction="inbound", service="call") == record
    assert emu.last_traffic(number, direction="outbound") is None


async def test_a_message_added_through_the_admin_route_is_listed(
    api: Api, running: RunningEmulator
) -> None:
    """POST /__admin/traffic adds an outbound message that the Message list then shows."""
    number = running.emulator.numbers_of_kind(TrafficKind.IDLE)[0]
    body = {"service": "message", "number": number, "direction": "outbound", "units": 2}
    status, added, _ = await api.call("POST", "/__admin/traffic", headers={}, json=body)
    assert status == 201
    assert added["message"]["visible"] is True
    _, listed = await api.get("/Message/", from_number="+" + number)
    assert uuids(listed["objects"], "message_uuid") == [added["message"]["message_uuid"]]
    assert listed["objects"][0]["units"] == 2
    bad = {"service": "message", "number": number, "direction": "sideways"}
    status, refused, _ = await api.call("POST", "/__admin/traffic", headers={}, json=bad)
    assert status == 400
    assert "direction" in refused["error"]


async def test_traffic_added_long_ago_is_kept_but_never_served(
    api: Api, running: RunningEmulator
) -> None:
    """A call dated 100 days back is in the admin history as invisible, and in no listing."""
    number = running.emulator.numbers_of_kind(TrafficKind.IDLE)[0]
    old = running.emulator.now() - datetime.timedelta(days=100)
    body = {"service": "call", "number": number, "at": old.strftime("%Y-%m-%d %H:%M:%S")}
    status, added, _ = await api.call("POST", "/__admin/traffic", headers={}, json=body)
    assert status == 201
    assert added["call"]["visible"] is False
    assert await calls_90_days(api, running, to_number=number) == []
    assert (await api.get(added["call"]["resource_uri"]))[0] == 404
    _, admin = await api.get("/__admin/traffic", number=number)
    assert [c["call_uuid"] for c in admin["calls"]] == [added["call"]["call_uuid"]]


async def test_without_seeded_traffic_only_added_records_exist(
    make_emulator: MakeEmulator,
) -> None:
    """traffic=False starts every number idle; traffic added later still works."""
    running = await make_emulator(TRAFFIC_CONFIG, traffic=False)
    emu = running.emulator
    assert emu.calls() == []
    assert emu.messages() == []
    number = next(iter(emu.numbers))
    emu.add_message(number)
    async with api_for(running) as api:
        _, body = await api.get("/Message/")
    assert body["meta"]["total_count"] == 1


# --- The Message list's own rate limit -----------------------------------------------------------


async def test_message_list_is_limited_to_its_own_budget(make_emulator: MakeEmulator) -> None:
    """With a 3-per-minute Message budget the 4th listing is a 429, while other lists still work."""
    running = await make_emulator(TRAFFIC_CONFIG, message_rate_limit=RateLimit(3, 60.0))
    async with api_for(running) as api:
        statuses = [(await api.get("/Message/", limit=1))[0] for _ in range(4)]
        _, refused = await api.get("/Message/")
        assert statuses == [200, 200, 200, 429]
        assert set(refused) == {"api_id", "error"}
        assert refused["error"] == "too many requests"
        assert (await api.get("/Call/", limit=1))[0] == 200
        assert (await api.get("/Number/", limit=1))[0] == 200


async def test_by_default_the_21st_message_listing_in_a_minute_is_refused(
    make_emulator: MakeEmulator,
) -> None:
    """Out of the box the Message list allows Plivo's 20 requests per minute, and not 21."""
    running = await make_emulator(numbers=50, today=TODAY)
    async with api_for(running) as api:
        statuses = [(await api.get("/Message/", limit=1))[0] for _ in range(21)]
    assert statuses == [200] * 20 + [429]


async def test_message_listings_also_spend_the_account_budget(
    make_emulator: MakeEmulator,
) -> None:
    """Message requests count against the account's limit too: after 5 of a 5-request budget,
    a Number listing is refused."""
    running = await make_emulator(TRAFFIC_CONFIG, rate_limit=RateLimit(5, 60.0))
    async with api_for(running) as api:
        assert [(await api.get("/Message/"))[0] for _ in range(5)] == [200] * 5
        assert (await api.get("/Number/"))[0] == 429
