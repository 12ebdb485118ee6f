"""Paging for every list endpoint: limit/offset parsing and the api_id/meta/objects envelope."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from bulkops.emulator.errors import bad_request

MAX_LIMIT: Final = 20
PAGING_PARAMS: Final = frozenset({"limit", "offset"})


def new_api_id() -> str:
    return str(uuid.uuid1())


def single_params(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Query pairs → dict, refusing a parameter given twice (Plivo documents no list syntax)."""
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise bad_request(f"query parameter {key!r} was given more than once")
        params[key] = value
    return params


def parse_page(params: Mapping[str, str]) -> tuple[int, int]:
    """(limit, offset) from the query; limit 1-20 (default 20), offset ≥ 0 (default 0)."""
    limit = _integer(params, "limit", MAX_LIMIT)
    offset = _integer(params, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise bad_request(f"offset must be 0 or more, got {offset}")
    return limit, offset


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer, got {raw!r}") from None


def envelope(
    path: str, items: Sequence[Any], limit: int, offset: int, objects: list[Any]
) -> dict[str, Any]:
    """The list body: `next`/`previous` are relative URLs that carry only limit and offset."""
    total = len(items)
    following = offset + limit
    return {
        "api_id": new_api_id(),
        "meta": {
            "limit": limit,
            "next": f"{path}?limit={limit}&offset={following}" if following < total else None,
            "offset": offset,
            "previous": f"{path}?limit={limit}&offset={max(offset - limit, 0)}" if offset else None,
            "total_count": total,
        },
        "objects": objects,
    }
