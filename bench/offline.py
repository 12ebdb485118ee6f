"""`python -m bench.offline N ARGS…`: `bulkops ARGS…` in this process, the wire replaced by memory.

Every request still goes through bulkops' whole stack down to `Transport.call` (pacing, retries,
breaker, journal, planning); only the HTTP exchange is replaced by an answer built in memory
(N numbers, Plivo's shapes). What is left is bulkops' own CPU, without the noise of sockets and
of the emulator sharing the machine: `bench.instructions` counts its instructions.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

PAGE = 20


def number_object(auth_id: str, i: int) -> dict[str, Any]:
    number = f"1415{i:07d}"
    return {
        "number": number,
        "number_type": "local",
        "alias": f"San Francisco {i}",
        "application": f"/v1/Account/{auth_id}/Application/2998{i % 5}/",
        "sub_account": None,
        "voice_enabled": True,
        "sms_enabled": True,
        "mms_enabled": False,
        "renewal_date": "2026-12-20",
        "region": "California, UNITED STATES",
        "added_on": "2025-01-02",
        "monthly_rental_rate": "0.80000",
        "cnam_lookup": "disabled",
        "tendlc_campaign_id": None,
        "tendlc_registration_status": None,
        "toll_free_sms_verification": None,
        "resource_uri": f"/v1/Account/{auth_id}/Number/{number}/",
        "carrier": "Plivo",
        "city": "San Francisco",
        "country": "USA",
        "lata": 722,
        "rate_center": "SNFC",
    }


def main(count: int, argv: list[str]) -> int:
    from bulkops.cli import main as bulkops_main
    from bulkops.client import transport
    from bulkops.client.credentials import Credentials

    auth_id = Credentials.from_env().auth_id
    objects = [number_object(auth_id, i) for i in range(count)]
    answered = json.dumps({"api_id": "x", "message": "changed"}).encode()

    def page(params: Mapping[str, str]) -> bytes:
        offset, limit = int(params.get("offset", "0")), int(params.get("limit", str(PAGE)))
        meta = {"limit": limit, "offset": offset, "total_count": count}
        return json.dumps(
            {"api_id": "x", "meta": meta, "objects": objects[offset:][:limit]}
        ).encode()

    async def call(
        self: transport.Transport,
        method: str,
        relative: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
        answer: bool = True,
    ) -> Any:
        if self._pace is not None:
            await self._pace()
        if self._observe is not None:
            self._observe(0.001, "offline", 200)
        if method == "GET" and relative == "Number/":
            return json.loads(page(params or {}))
        if method == "POST":
            return json.loads(answered) if answer else None
        raise NotImplementedError(f"bench.offline answers no {method} {relative}")

    transport.Transport.call = call  # type: ignore[method-assign]
    return bulkops_main(argv)


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]), sys.argv[2:]))
