"""Optional, unauthenticated introspection routes for out-of-process users (benchmarks, the CLI).

Only registered when `EmulatorConfig.admin` is true; otherwise `/__admin/…` answers 404.
Routes that change the running emulator (traffic, outages, faults) live in `admin_control`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from aiohttp import web

from bulkops.emulator.admin_control import add_control_routes
from bulkops.emulator.errors import bad_request

if TYPE_CHECKING:
    from bulkops.emulator.state import Emulator


def _since(request: web.Request) -> int:
    raw = request.query.get("since", "0")
    try:
        since = int(raw)
    except ValueError:
        raise bad_request(f"since must be an integer, got {raw!r}") from None
    if since < 0:
        raise bad_request(f"since must be 0 or more, got {since}")
    return since


def add_admin_routes(app: web.Application, emu: Emulator) -> None:
    async def served(request: web.Request) -> web.Response:
        since = _since(request)
        rows = [record._asdict() for record in emu.served[since:]]
        return web.json_response({"served": rows, "next": since + len(rows)})

    async def mutations(request: web.Request) -> web.Response:
        since = _since(request)
        rows = [record._asdict() for record in emu.mutations[since:]]
        return web.json_response({"mutations": rows, "next": since + len(rows)})

    async def stats(request: web.Request) -> web.Response:
        by_status = Counter(str(record.status) for record in emu.served)
        by_method = Counter(record.method for record in emu.served)
        return web.json_response(
            {
                "requests": len(emu.served),
                "by_status": dict(sorted(by_status.items())),
                "by_method": dict(sorted(by_method.items())),
                "mutations": len(emu.mutations),
                "numbers": len(emu.numbers),
            }
        )

    async def reset(request: web.Request) -> web.Response:
        emu.reset_records()
        return web.json_response({"reset": True})

    app.router.add_get("/__admin/served", served)
    app.router.add_get("/__admin/mutations", mutations)
    app.router.add_get("/__admin/stats", stats)
    app.router.add_post("/__admin/reset", reset)
    add_control_routes(app, emu)
