"""The HTTP face of an Emulator: Plivo's routes, auth, rate limit, faults and recording.

One middleware runs every non-admin request through the same pipeline, in this order:
outage → latency → drop (before handling) → auth → injected 429 → rate limits → injected 5xx →
route → drop (after handling). Every request lands in `Emulator.served`, a dropped one with
status 0. The Message list spends its own budget (20 per minute) as well as the account's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import TYPE_CHECKING, Any, Final

from aiohttp import hdrs, web

from bulkops.emulator.admin import add_admin_routes
from bulkops.emulator.errors import ApiError, bad_request
from bulkops.emulator.guards import SlidingWindow, Verdict, admit_all, format_retry_after
from bulkops.emulator.listing import new_api_id
from bulkops.emulator.state import Emulator

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

ADMIN_PREFIX: Final = "/__admin/"
MESSAGE_LIST: Final = "message_list"  # route name: the one with its own rate limit
_FORM_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_SERVER_ERRORS: Final = {500: "internal server error", 503: "service unavailable"}


def json_response(
    status: int, payload: object, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(payload, status=status, headers=headers)


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return json_response(status, {"api_id": new_api_id(), "error": message}, headers)


def create_app(emulator: Emulator) -> web.Application:
    """An aiohttp application serving `emulator` (admin routes only if its config asks)."""
    app = web.Application(middlewares=[_pipeline(emulator)])
    routes = _Routes(emulator)
    account = "/v1/Account/{auth_id}"
    app.router.add_get(f"{account}/Number/", routes.list_numbers)
    app.router.add_get(f"{account}/Number/{{number}}/", routes.get_number)
    app.router.add_post(f"{account}/Number/{{number}}/", routes.update_number)
    app.router.add_delete(f"{account}/Number/{{number}}/", routes.delete_number)
    app.router.add_get(f"{account}/Application/", routes.list_applications)
    app.router.add_get(f"{account}/Application/{{app_id}}/", routes.get_application)
    app.router.add_get(f"{account}/Subaccount/", routes.list_subaccounts)
    app.router.add_get(f"{account}/Subaccount/{{sa_id}}/", routes.get_subaccount)
    app.router.add_get(f"{account}/Call/", routes.list_calls)
    app.router.add_get(f"{account}/Call/{{call_uuid}}/", routes.get_call)
    app.router.add_get(f"{account}/Message/", routes.list_messages, name=MESSAGE_LIST)
    app.router.add_get(f"{account}/Message/{{message_uuid}}/", routes.get_message)
    if emulator.config.admin:
        add_admin_routes(app, emulator)
    return app


class _Routes:
    """Thin handlers: read the request, ask the Emulator, write JSON."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    async def list_numbers(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.list_numbers(list(request.query.items())))

    async def get_number(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.get_number(request.match_info["number"]))

    async def update_number(self, request: web.Request) -> web.Response:
        body = await _read_body(request)
        return json_response(202, self.emu.update_number(request.match_info["number"], body))

    async def delete_number(self, request: web.Request) -> web.Response:
        self.emu.delete_number(request.match_info["number"])
        return web.Response(status=204)

    async def list_applications(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.list_applications(list(request.query.items())))

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.get_application(request.match_info["app_id"]))

    async def list_subaccounts(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.list_subaccounts(list(request.query.items())))

    async def get_subaccount(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.get_subaccount(request.match_info["sa_id"]))

    async def list_calls(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.list_calls(list(request.query.items())))

    async def get_call(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.get_call(request.match_info["call_uuid"]))

    async def list_messages(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.list_messages(list(request.query.items())))

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(200, self.emu.get_message(request.match_info["message_uuid"]))


async def _read_body(request: web.Request) -> dict[str, object]:
    """A JSON object (what the SDK sends) or a form; an empty body is an empty update."""
    if request.content_type in _FORM_TYPES:
        form = await request.post()
        if not all(isinstance(value, str) for value in form.values()):
            raise bad_request("file uploads are not accepted here")
        return dict(form.items())
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise bad_request("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    return data


def _pipeline(emu: Emulator) -> Middleware:
    latency = emu.config.faults.latency
    admin = emu.config.admin

    @web.middleware
    async def pipeline(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            # Admin traffic is exempt from auth, limits, faults and the records.
            return await _route(request, handler) if admin else error_response(404, "not found")
        arrived = time.monotonic()
        outage = emu.outage_at(arrived)
        if outage is not None:
            down = outage.mode == "drop"
            emu.record(request.method, request.path_qs, 0 if down else 503, arrived)
            return _drop(request) if down else error_response(503, _SERVER_ERRORS[503])
        if latency:
            await asyncio.sleep(emu.dice.latency())
        now = time.monotonic()
        verdict = emu.dice.roll()
        if verdict.drop:
            emu.record(request.method, request.path_qs, 0, now)
            return _drop(request)
        response = await _respond(emu, request, handler, verdict, now)
        if verdict.drop_after:
            emu.record(request.method, request.path_qs, 0, now)
            return _drop(request)
        emu.record(request.method, request.path_qs, response.status, now)
        return response

    return pipeline


async def _respond(
    emu: Emulator, request: web.Request, handler: Handler, verdict: Verdict, now: float
) -> web.StreamResponse:
    if not _authorized(emu, request):
        # Real 401s may come without an api_id; clients must cope.
        return json_response(401, {"error": "authentication credentials were not provided"})
    if verdict.throttle or not admit_all(_budgets(emu, request), now):
        return _too_many_requests(emu)
    if verdict.error_status:
        return error_response(verdict.error_status, _SERVER_ERRORS[verdict.error_status])
    return await _route(request, handler)


async def _route(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run the handler, answering every refusal (ours or the router's) in Plivo's JSON shape."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.message)
    except web.HTTPMethodNotAllowed:
        return error_response(405, f"method {request.method} not allowed here")
    except web.HTTPNotFound:
        return error_response(404, "not found")


def _budgets(emu: Emulator, request: web.Request) -> list[SlidingWindow]:
    """The rate limits this request spends: the account's, and the Message list's own."""
    budgets = [] if emu.limiter is None else [emu.limiter]
    if emu.message_limiter is not None and request.match_info.route.name == MESSAGE_LIST:
        budgets.append(emu.message_limiter)
    return budgets


def _authorized(emu: Emulator, request: web.Request) -> bool:
    credentials = _basic_credentials(request.headers.get(hdrs.AUTHORIZATION, ""))
    if credentials is None:
        return False
    login, password = credentials
    # The path names the account; it must be the one the credentials belong to.
    if request.match_info.get("auth_id", login) != login:
        return False
    return emu.authenticates(login, password)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("latin-1")
    except ValueError:  # binascii.Error is a ValueError
        return None
    login, colon, password = decoded.partition(":")
    return (login, password) if colon else None


def _too_many_requests(emu: Emulator) -> web.Response:
    retry_after = emu.config.faults.retry_after
    headers = None if retry_after is None else {"Retry-After": format_retry_after(retry_after)}
    return error_response(429, "too many requests", headers)


def _drop(request: web.Request) -> web.Response:
    """Cut the connection so the client gets no response at all."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # Never delivered: the transport is gone, and aiohttp discards it quietly.
    return web.Response(status=500)
