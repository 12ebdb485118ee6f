"""Filters and search windows of the Call (CDR) and Message (MDR) list APIs, as Plivo documents.

Calls (DOC-calls): only the last 90 days are ever returned. With no `end_time*` filter the window
is the last 7 days. A lower and an upper bound may be at most 30 days apart (wider: 400); only a
lower bound searches the 30 days after it, only an upper bound the 30 days before it.

Messages (DOC-msgs): the last 90 days; with no `message_time*` filter, the last 24 hours. No
maximum range is documented, so none is enforced.

Times are `YYYY-MM-DD HH:MM[:ss[.uuuuuu]]`, UTC, as documented; anything else is a 400, as are
unknown parameters and bad values, like the Number list.
"""

from __future__ import annotations

import bisect
import datetime
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bulkops.emulator.errors import bad_request
from bulkops.emulator.history import newest_first_time
from bulkops.emulator.listing import PAGING_PARAMS
from bulkops.emulator.traffic import (
    DIRECTIONS,
    MESSAGE_STATES,
    MESSAGE_TYPES,
    Service,
    TrafficRecord,
    digits,
)

DAY: Final = 86_400.0
HISTORY: Final = 90 * DAY  # both lists: nothing older is ever served
CALL_DEFAULT_WINDOW: Final = 7 * DAY
CALL_MAX_RANGE: Final = 30 * DAY
MESSAGE_DEFAULT_WINDOW: Final = 1 * DAY
CONVERSATION_ORIGINS: Final = ("service", "utility", "authentication", "marketing")

_TIME: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
_PHONE: Final = re.compile(r"\+?[0-9]{1,15}")
_SUBACCOUNT: Final = re.compile(r"SA[A-Z0-9]{18}")
_OPS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "": operator.eq,
    "__gt": operator.gt,
    "__gte": operator.ge,
    "__lt": operator.lt,
    "__lte": operator.le,
}
_LOWER: Final = ("__gt", "__gte")
_UPPER: Final = ("__lt", "__lte")

Test = Callable[[Any], bool]  # takes a record (or, for object tests, its Plivo JSON object)


@dataclass(frozen=True, slots=True)
class TrafficQuery:
    """A parsed query: the time slice to scan, record tests, and tests on the served object."""

    service: Service
    low: float  # oldest `at` the window admits (inclusive)
    high: float | None  # newest `at` it admits (inclusive); None: no upper limit
    tests: tuple[Test, ...]
    object_tests: tuple[tuple[str, Any], ...]  # (field, wanted) on the rendered object
    number: str | None  # an exact number the query names, so one number's history suffices

    def run(
        self,
        candidates: Sequence[TrafficRecord],
        render: Callable[[TrafficRecord], Mapping[str, Any]],
    ) -> list[TrafficRecord]:
        """The matching records, newest first; `candidates` must be newest first."""
        start = 0
        if self.high is not None:
            start = bisect.bisect_left(candidates, -self.high, key=newest_first_time)
        stop = bisect.bisect_right(candidates, -self.low, lo=start, key=newest_first_time)
        matches: list[Any] = list(candidates[start:stop])
        for test in self.tests:
            matches = [record for record in matches if test(record)]
        for field, wanted in self.object_tests:
            matches = [record for record in matches if render(record)[field] == wanted]
        return matches


def parse_time(name: str, value: str) -> float:
    """`YYYY-MM-DD HH:MM[:ss[.uuuuuu]]` in UTC → POSIX seconds; anything else is a 400."""
    match = _TIME.fullmatch(value)
    if match is None:
        raise bad_request(f"{name} must look like YYYY-MM-DD HH:MM[:ss[.uuuuuu]], got {value!r}")
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=datetime.UTC,
        )
    except ValueError:
        raise bad_request(f"{name} is not a valid time: {value!r}") from None
    return moment.timestamp()


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _count(name: str, value: str) -> int:
    if not value.isdigit():
        raise bad_request(f"{name} must be a whole number of 0 or more, got {value!r}")
    return int(value)


def _phone(name: str, value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise bad_request(f"{name} must be a phone number (digits, optional +), got {value!r}")
    return digits(value)


def _at(compare: Callable[[Any, Any], bool], bound: float) -> Test:
    return lambda record: compare(record.at, bound)


def _duration(compare: Callable[[Any, Any], bool], seconds: int) -> Test:
    return lambda record: compare(record.duration, seconds)


def _starts_with(field: str, prefix: str) -> Test:
    return lambda record: digits(getattr(record, field)).startswith(prefix)


def _same_number(field: str, wanted: str) -> Test:
    return lambda record: digits(getattr(record, field)) == wanted


def _subaccount(name: str, value: str) -> Test:
    if not _SUBACCOUNT.fullmatch(value):
        raise bad_request(
            f"{name} must be a subaccount auth_id (SA + 18 characters), got {value!r}"
        )
    return lambda record: record.subaccount == value


class _Parser:
    """Shared steps: reject unknown names, collect tests, work out the time window."""

    def __init__(self, params: Mapping[str, str], known: frozenset[str], time_field: str) -> None:
        unknown = sorted(set(params) - known - PAGING_PARAMS)
        if unknown:
            names = ", ".join(sorted(known | PAGING_PARAMS))
            raise bad_request(f"unknown query parameter(s) {', '.join(unknown)}; known: {names}")
        self.params = params
        self.tests: list[Test] = []
        self.object_tests: list[tuple[str, Any]] = []
        self.number: str | None = None
        self.bounds = {
            op: parse_time(time_field + op, params[time_field + op])
            for op in _OPS
            if time_field + op in params
        }

    def time_tests(self) -> None:
        for op, bound in self.bounds.items():
            self.tests.append(_at(_OPS[op], bound))

    def direction(self, name: str) -> None:
        if name in self.params:
            wanted = _choice(name, self.params[name], DIRECTIONS)
            self.tests.append(lambda record: record.direction == wanted)

    def subaccount(self) -> None:
        if "subaccount" in self.params:
            self.tests.append(_subaccount("subaccount", self.params["subaccount"]))

    def lower(self) -> float | None:
        values = [self.bounds[op] for op in _LOWER if op in self.bounds]
        return max(values) if values else None

    def upper(self) -> float | None:
        values = [self.bounds[op] for op in _UPPER if op in self.bounds]
        return min(values) if values else None

    def hint(self, number: str) -> None:
        if self.number is None:
            self.number = number


_CALL_PARAMS: Final = frozenset(
    {
        *(f"end_time{op}" for op in _OPS),
        *(f"bill_duration{op}" for op in _OPS),
        "subaccount",
        "call_direction",
        "from_number",
        "to_number",
        "parent_call_uuid",
        "hangup_cause_code",
        "hangup_source",
        "stir_verification",
    }
)


def parse_call_query(params: Mapping[str, str], now: float) -> TrafficQuery:
    """The Call list's filters and window, as of `now` (POSIX seconds)."""
    parser = _Parser(params, _CALL_PARAMS, "end_time")
    parser.time_tests()
    parser.direction("call_direction")
    parser.subaccount()
    for name in ("from_number", "to_number"):
        if name in params:
            # "You can filter by the exact number or prefix"; either spelling of the number.
            prefix = _phone(name, params[name])
            parser.tests.append(_starts_with(name, prefix))
            parser.hint(prefix)
    for op, compare in _OPS.items():
        name = f"bill_duration{op}"
        if name in params:
            seconds = _count(name, params[name])
            parser.tests.append(_duration(compare, seconds))
    if "parent_call_uuid" in params:
        parser.object_tests.append(("parent_call_uuid", params["parent_call_uuid"]))
    if "hangup_cause_code" in params:
        code = _count("hangup_cause_code", params["hangup_cause_code"])
        parser.object_tests.append(("hangup_cause_code", code))
    for name in ("hangup_source", "stir_verification"):
        if name in params:
            parser.object_tests.append((name, params[name]))
    low, high = _call_window(parser, now)
    return TrafficQuery(
        "call", low, high, tuple(parser.tests), tuple(parser.object_tests), parser.number
    )


def _call_window(parser: _Parser, now: float) -> tuple[float, float | None]:
    horizon = now - HISTORY
    lower, upper = parser.lower(), parser.upper()
    if not parser.bounds:
        return now - CALL_DEFAULT_WINDOW, now
    if lower is not None and upper is not None:
        if upper - lower > CALL_MAX_RANGE:
            raise bad_request(
                "end_time range exceeds 30 days; narrow end_time__gt/gte and end_time__lt/lte"
            )
        return max(lower, horizon), upper
    if lower is not None:
        return max(lower, horizon), lower + CALL_MAX_RANGE
    if upper is not None:
        return max(upper - CALL_MAX_RANGE, horizon), upper
    return horizon, None  # only an exact end_time: its own test decides


_MESSAGE_PARAMS: Final = frozenset(
    {
        *(f"message_time{op}" for op in _OPS),
        "subaccount",
        "message_direction",
        "message_state",
        "message_type",
        "from_number",
        "to_number",
        "error_code",
        "powerpack_id",
        "tendlc_campaign_id",
        "tendlc_registration_status",
        "destination_country_iso2",
        "conversation_id",
        "conversation_origin",
    }
)


def parse_message_query(params: Mapping[str, str], now: float) -> TrafficQuery:
    """The Message list's filters and window, as of `now` (POSIX seconds)."""
    parser = _Parser(params, _MESSAGE_PARAMS, "message_time")
    parser.time_tests()
    parser.direction("message_direction")
    parser.subaccount()
    for name in ("from_number", "to_number"):
        if name in params:
            value = params[name]
            # The docs ask for "the exact number in E.164 format" (with "+"), yet MDRs show bare
            # digits: both spellings are accepted and compared as digits. from_number may also
            # be an alphanumeric sender ID, matched exactly.
            wanted = digits(value) if _PHONE.fullmatch(value) else value
            if not wanted:
                raise bad_request(f"{name} must not be empty")
            parser.tests.append(_same_number(name, wanted))
            parser.hint(wanted)
    if "message_state" in params:
        state = _choice("message_state", params["message_state"], MESSAGE_STATES)
        parser.tests.append(lambda record: record.state == state)
    if "message_type" in params:
        kind = _choice("message_type", params["message_type"], MESSAGE_TYPES)
        parser.tests.append(lambda record: record.message_type == kind)
    if "error_code" in params:
        parser.object_tests.append(("error_code", _count("error_code", params["error_code"])))
    if "conversation_origin" in params:
        origin = _choice("conversation_origin", params["conversation_origin"], CONVERSATION_ORIGINS)
        parser.object_tests.append(("conversation_origin", origin))
    for name in (
        "powerpack_id",
        "tendlc_campaign_id",
        "tendlc_registration_status",
        "destination_country_iso2",
        "conversation_id",
    ):
        if name in params:
            parser.object_tests.append((name, params[name]))
    if parser.bounds:
        low, high = now - HISTORY, None
        lower, upper = parser.lower(), parser.upper()
        low = max(low, lower) if lower is not None else low
        high = upper
    else:
        low, high = now - MESSAGE_DEFAULT_WINDOW, now
    return TrafficQuery(
        "message", low, high, tuple(parser.tests), tuple(parser.object_tests), parser.number
    )
