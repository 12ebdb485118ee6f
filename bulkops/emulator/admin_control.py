"""Admin routes that change the emulator while it runs: traffic, outages, the short-page fault.

GET    /__admin/traffic[?number=N]     every call and message (also those past 90 days,
                                       flagged "visible": false), newest first
POST   /__admin/traffic                add a call or message: {"service": "call", "number": N,
                                       "direction": "inbound", "at": "2026-05-01 12:00:00", …}
GET    /__admin/traffic/kinds          the seeded kind of every starting number
GET    /__admin/outage                 the outage in force, if any
POST   /__admin/outage                 {"seconds": S or null, "mode": "drop" or "503"}
DELETE /__admin/outage                 end it now
POST   /__admin/short-page             {"offset": O, "times": K or "always"}
DELETE /__admin/short-page             turn the short-page fault off
"""

from __future__ import annotations

import datetime
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bulkops.emulator.errors import bad_request
from bulkops.emulator.traffic import (
    CallRecord,
    TrafficRecord,
    format_time,
    involves,
    record_object,
)
from bulkops.emulator.traffic_query import parse_time
from bulkops.emulator.traffic_seed import TrafficKind

if TYPE_CHECKING:
    from bulkops.emulator.state import Emulator


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise bad_request("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    return data


def _typed(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise bad_request(f"{name} has the wrong type: {value!r}")
    return value


def _admin_object(emu: Emulator, record: TrafficRecord) -> dict[str, Any]:
    return {
        **record_object(record, emu.auth_id),
        "subaccount": record.subaccount,
        "visible": emu.is_visible(record),
    }


def _add_record(emu: Emulator, body: dict[str, Any]) -> TrafficRecord:
    known = {"service", "number", "direction", "counterpart", "at", "subaccount"}
    known |= {"duration"} if body.get("service") == "call" else {"message_type", "state", "units"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise bad_request(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    service, number = _typed(body, "service", str), _typed(body, "number", str)
    if service not in ("call", "message") or not number:
        raise bad_request('give "service" ("call" or "message") and "number"')
    at_text = _typed(body, "at", str)
    at = None
    if at_text is not None:
        at = datetime.datetime.fromtimestamp(parse_time("at", at_text), datetime.UTC)
    common: dict[str, Any] = {
        "at": at,
        "subaccount": _typed(body, "subaccount", str),
    }
    for name in ("direction", "counterpart"):
        if (value := _typed(body, name, str)) is not None:
            common[name] = value
    try:
        if service == "call":
            if (duration := _typed(body, "duration", int)) is not None:
                common["duration"] = duration
            return emu.add_call(number, **common)
        for name, kind in (("message_type", str), ("state", str), ("units", int)):
            if (value := _typed(body, name, kind)) is not None:
                common[name] = value
        return emu.add_message(number, **common)
    except ValueError as error:
        raise bad_request(str(error)) from None


def _outage_state(emu: Emulator) -> dict[str, Any] | None:
    now = time.monotonic()
    outage = emu.outage_at(now)
    if outage is None:
        return None
    left = None if outage.ends is None else round(outage.ends - now, 3)
    return {"mode": outage.mode, "seconds_left": left}


def add_control_routes(app: web.Application, emu: Emulator) -> None:
    async def traffic(request: web.Request) -> web.Response:
        number = request.query.get("number")
        calls: list[TrafficRecord] = list(emu.calls())
        messages: list[TrafficRecord] = list(emu.messages())
        if number is not None:
            calls = [record for record in calls if involves(record, number)]
            messages = [record for record in messages if involves(record, number)]
        return web.json_response(
            {
                "now": format_time(emu.clock.timestamp()),
                "calls": [_admin_object(emu, record) for record in calls],
                "messages": [_admin_object(emu, record) for record in messages],
            }
        )

    async def add_traffic(request: web.Request) -> web.Response:
        record = _add_record(emu, await _body(request))
        service = "call" if isinstance(record, CallRecord) else "message"
        return web.json_response({service: _admin_object(emu, record)}, status=201)

    async def kinds(request: web.Request) -> web.Response:
        return web.json_response(
            {"kinds": {kind.value: emu.numbers_of_kind(kind) for kind in TrafficKind}}
        )

    async def outage(request: web.Request) -> web.Response:
        return web.json_response({"outage": _outage_state(emu)})

    async def start_outage(request: web.Request) -> web.Response:
        body = await _body(request)
        unknown = sorted(set(body) - {"seconds", "mode"})
        if unknown:
            raise bad_request(f"unknown field(s) {', '.join(unknown)}; known: mode, seconds")
        seconds = _typed(body, "seconds", (int, float))
        mode = body.get("mode", "drop")
        try:
            emu.start_outage(None if seconds is None else float(seconds), mode)
        except ValueError as error:
            raise bad_request(str(error)) from None
        return web.json_response({"outage": _outage_state(emu)})

    async def end_outage(request: web.Request) -> web.Response:
        emu.end_outage()
        return web.json_response({"outage": None})

    async def short_page(request: web.Request) -> web.Response:
        body = await _body(request)
        unknown = sorted(set(body) - {"offset", "times"})
        if unknown:
            raise bad_request(f"unknown field(s) {', '.join(unknown)}; known: offset, times")
        offset = _typed(body, "offset", int)
        times = body.get("times", 1)
        if offset is None or not (times == "always" or isinstance(times, int)):
            raise bad_request('give "offset" (an integer) and "times" (an integer or "always")')
        try:
            emu.set_short_page(offset, None if times == "always" else times)
        except ValueError as error:
            raise bad_request(str(error)) from None
        left = emu.short_pages_left
        return web.json_response({"offset": offset, "times": "always" if left is None else left})

    async def end_short_page(request: web.Request) -> web.Response:
        emu.set_short_page(None)
        return web.json_response({"offset": None})

    app.router.add_get("/__admin/traffic", traffic)
    app.router.add_post("/__admin/traffic", add_traffic)
    app.router.add_get("/__admin/traffic/kinds", kinds)
    app.router.add_get("/__admin/outage", outage)
    app.router.add_post("/__admin/outage", start_outage)
    app.router.add_delete("/__admin/outage", end_outage)
    app.router.add_post("/__admin/short-page", short_page)
    app.router.add_delete("/__admin/short-page", end_short_page)
