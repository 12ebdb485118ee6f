"""Call (CDR) and Message (MDR) records, reduced to what proves a number was used: who, when.

Plivo writes times as `YYYY-MM-DD HH:MM:SS±HH:MM` and takes filters as `YYYY-MM-DD HH:MM:SS`
in UTC; numbers appear with or without "+", so they are compared as digits.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Final, Literal

from bulkops.client.pages import parse_envelope

Traffic = Literal["calls", "messages"]
TRAFFIC: Final[tuple[Traffic, ...]] = ("calls", "messages")

# Plivo's facts about each list: its path, the time field filters use, the record's id field.
PATH: Final[dict[Traffic, str]] = {"calls": "Call/", "messages": "Message/"}
TIME_FIELD: Final[dict[Traffic, str]] = {"calls": "end_time", "messages": "message_time"}
_UUID_FIELD: Final[dict[Traffic, str]] = {"calls": "call_uuid", "messages": "message_uuid"}
# The Message list has a limit of its own, beside the account's: 20 requests a minute.
MESSAGE_LIST_REQUESTS: Final = 20
MESSAGE_LIST_PERIOD: Final = 60.0

UTC: Final = datetime.UTC


@dataclass(frozen=True, slots=True)
class TrafficRecord:
    uuid: str
    at: datetime.datetime  # end_time of a call, message_time of a message; aware, UTC
    from_number: str  # digits only
    to_number: str


@dataclass(frozen=True, slots=True)
class TrafficPage:
    total_count: int
    records: tuple[TrafficRecord, ...]
    received: int  # objects on the page, readable or not
    unreadable: int  # objects without a usable time, id or numbers


def parse_page(traffic: Traffic, body: Any, limit: int) -> TrafficPage:
    """A page of the Call or Message list; ValueError if the envelope is not one."""
    envelope = parse_envelope(body, limit)
    records = [_record(traffic, obj) for obj in envelope.objects]
    readable = tuple(record for record in records if record is not None)
    received = len(envelope.objects)
    return TrafficPage(envelope.total_count, readable, received, received - len(readable))


def _record(traffic: Traffic, obj: dict[str, Any]) -> TrafficRecord | None:
    uuid, at = obj.get(_UUID_FIELD[traffic]), obj.get(TIME_FIELD[traffic])
    sender, receiver = obj.get("from_number"), obj.get("to_number")
    if not (
        isinstance(uuid, str)
        and isinstance(at, str)
        and isinstance(sender, str)
        and isinstance(receiver, str)
    ):
        return None
    try:
        moment = parse_time(at)
    except ValueError:
        return None
    return TrafficRecord(uuid, moment, digits(sender), digits(receiver))


def parse_time(value: str) -> datetime.datetime:
    """A Plivo timestamp as an aware UTC datetime; one without an offset is UTC."""
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def filter_time(moment: datetime.datetime) -> str:
    """`moment` as the list filters take it: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def digits(number: object) -> str:
    return number.lstrip("+") if isinstance(number, str) else ""
