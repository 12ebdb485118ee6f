"""Call and message detail records: what the emulator keeps, and how Plivo shows them.

Records are tuples (an account of 300k numbers has hundreds of thousands of them); they become
Plivo's JSON objects only when a page is served. Times are whole POSIX seconds, UTC.

Phone numbers keep the spelling Plivo uses on the wire, which is not uniform: call records mix
`+14158572518` and `14153268174` (FIX callListResponse.json), message records show bare digits.
`digits()` is the one normalisation used wherever numbers are compared.
"""

from __future__ import annotations

import datetime
import math
import uuid
from collections.abc import Iterable
from typing import Any, Final, Literal, NamedTuple

Direction = Literal["inbound", "outbound"]
Service = Literal["call", "message"]

DIRECTIONS: Final = ("inbound", "outbound")
SERVICES: Final = ("call", "message")
MESSAGE_TYPES: Final = ("sms", "mms", "whatsapp")
# The plivo SDK's list of message_state values, plus "received", which inbound messages carry.
MESSAGE_STATES: Final = (
    "queued",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "rejected",
    "received",
    "read",
)
HANGUP_SOURCES: Final = ("Caller", "Call recipient")
CALL_RATE: Final = "0.00850"
_MESSAGE_RATES: Final = {
    ("sms", "outbound"): "0.00250",
    ("mms", "outbound"): "0.02000",
    ("whatsapp", "outbound"): "0.00500",
}
_FREE: Final = "0.00000"
_API_IDS: Final = uuid.UUID("5a9fcb68-582d-11e1-86da-6ff39efcb949")  # namespace, any fixed one
# Calling codes → ISO country, for destination_country_iso2 (longest first).
_COUNTRIES: Final = (("44", "GB"), ("33", "FR"), ("49", "DE"), ("91", "IN"), ("61", "AU"))


class CallRecord(NamedTuple):
    """One call leg (CDR). `at` is its end_time."""

    uuid: str
    at: int
    direction: str  # "inbound" | "outbound"
    from_number: str
    to_number: str
    subaccount: str | None
    duration: int  # seconds from answer to hangup: bill_duration
    ring: int  # seconds from initiation to answer
    hangup_source: str


class MessageRecord(NamedTuple):
    """One message (MDR). `at` is its message_time."""

    uuid: str
    at: int
    direction: str
    from_number: str
    to_number: str
    subaccount: str | None
    message_type: str  # "sms" | "mms" | "whatsapp"
    state: str
    units: int


TrafficRecord = CallRecord | MessageRecord


def digits(number: str) -> str:
    """A phone number as bare digits: `+14155550100` and `14155550100` compare equal."""
    return number[1:] if number.startswith("+") else number


def service_of(record: TrafficRecord) -> Service:
    return "call" if isinstance(record, CallRecord) else "message"


def involves(record: TrafficRecord, number: str, direction: str | None = None) -> bool:
    """Is this record traffic of `number`: inbound to it, or outbound from it (as caller ID)?"""
    wanted = digits(number)
    if record.direction == "inbound":
        return direction in (None, "inbound") and digits(record.to_number) == wanted
    return direction in (None, "outbound") and digits(record.from_number) == wanted


def last_traffic(
    records: Iterable[TrafficRecord],
    number: str,
    *,
    direction: Direction | None = None,
    service: Service | None = None,
    since: float | None = None,
) -> TrafficRecord | None:
    """The newest record of `number` among `records` (any order), or None if it has none.

    `direction` and `service` narrow it to inbound/outbound, calls/messages; `since` (POSIX
    seconds) ignores anything older, e.g. `now - 90 days` for what the list APIs can still show.
    Pure: it looks only at its arguments.
    """
    newest: TrafficRecord | None = None
    for record in records:
        if service is not None and service_of(record) != service:
            continue
        if since is not None and record.at < since:
            continue
        if not involves(record, number, direction):
            continue
        if newest is None or (record.at, record.uuid) > (newest.at, newest.uuid):
            newest = record
    return newest


def format_time(at: float) -> str:
    """Plivo's record timestamp: `2026-05-01 12:00:00+00:00`."""
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat(sep=" ")


def call_object(record: CallRecord, auth_id: str) -> dict[str, Any]:
    """The CDR as the Call list serves it (fields of FIX callListResponse.json and DOC-calls)."""
    answer = record.at - record.duration
    billed = math.ceil(record.duration / 60) * 60  # per-minute billing: 924 s bill 960 s
    # FIX shows each CDR with an api_id of its own (that of the request that made the call).
    return {
        "answer_time": format_time(answer),
        "api_id": str(uuid.uuid5(_API_IDS, record.uuid)),
        "bill_duration": record.duration,
        "billed_duration": billed,
        "call_direction": record.direction,
        "call_duration": record.duration,
        "call_state": "ANSWER",
        "call_uuid": record.uuid,
        "conference_uuid": None,
        "end_time": format_time(record.at),
        "from_number": record.from_number,
        "hangup_cause_code": 4000,
        "hangup_cause_name": "Normal Hangup",
        "hangup_source": record.hangup_source,
        "initiation_time": format_time(answer - record.ring),
        "parent_call_uuid": None,
        "resource_uri": f"/v1/Account/{auth_id}/Call/{record.uuid}/",
        "stir_verification": "Not Applicable",
        "to_number": record.to_number,
        "total_amount": f"{billed / 60 * float(CALL_RATE):.5f}",
        "total_rate": CALL_RATE,
    }


def message_object(record: MessageRecord, auth_id: str) -> dict[str, Any]:
    """The MDR as the Message list serves it (fields of FIX messageListResponse.json)."""
    rate = _MESSAGE_RATES.get((record.message_type, record.direction), _FREE)
    when = format_time(record.at)
    return {
        "conversation_id": None,
        "conversation_origin": None,
        "destination_country_iso2": _country(record.to_number),
        "error_code": None,
        "error_message": "",
        "from_number": record.from_number,
        "message_direction": record.direction,
        "message_sent_time": when,
        "message_state": record.state,
        "message_time": when,
        "message_type": record.message_type,
        "message_updated_time": when,
        "message_uuid": record.uuid,
        "powerpack_id": None,
        "resource_uri": f"/v1/Account/{auth_id}/Message/{record.uuid}/",
        "tendlc_campaign_id": None,
        "tendlc_registration_status": None,
        "to_number": record.to_number,
        "total_amount": f"{record.units * float(rate):.5f}",
        "total_rate": rate,
        "units": record.units,
    }


def record_object(record: TrafficRecord, auth_id: str) -> dict[str, Any]:
    if isinstance(record, CallRecord):
        return call_object(record, auth_id)
    return message_object(record, auth_id)


def _country(number: str) -> str | None:
    bare = digits(number)
    if bare.startswith("1"):
        return "US"
    return next((iso for code, iso in _COUNTRIES if bare.startswith(code)), None)
