"""The Number list filters of Plivo's docs, parsed once into a prefix range plus field tests.

Filter values use Plivo's request vocabulary (`in_progress`, `verified`); objects use the response
vocabulary (`PROCESSING`, `VERIFIED`). The mapping between the two lives here.
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
from bulkops.emulator.listing import PAGING_PARAMS

Test = Callable[[Mapping[str, Any]], bool]

NUMBER_TYPES: Final = ("local", "mobile", "fixed", "national", "tollfree")
SERVICES: Final = ("voice", "sms", "mms")
TENDLC_STATUSES: Final = {
    "unregistered": frozenset({"UNREGISTERED"}),
    "in_progress": frozenset({"PROCESSING"}),
    # Plivo's own fixtures also show REGISTERED for a linked number.
    "registered": frozenset({"COMPLETED", "REGISTERED"}),
}
TOLL_FREE_STATES: Final = ("unverified", "pending_verification", "verified")
_SUBACCOUNT: Final = re.compile(r"SA[A-Z0-9]{18}")
_DIGITS: Final = re.compile(r"[0-9]+")
_DATE_OPS: Final = {
    "renewal_date": operator.eq,
    "renewal_date__gt": operator.gt,
    "renewal_date__gte": operator.ge,
    "renewal_date__lt": operator.lt,
    "renewal_date__lte": operator.le,
}


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    folded = value.lower()
    if folded not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return folded


def _field_equals(field: str, value: object) -> Test:
    return lambda obj: obj[field] == value


def _type_test(name: str, value: str) -> Test:
    value = "tollfree" if value.lower() == "toll-free" else value
    return _field_equals("number_type", _choice(name, value, NUMBER_TYPES))


def _subaccount_test(name: str, value: str) -> Test:
    if not _SUBACCOUNT.fullmatch(value):
        raise bad_request(
            f"{name} must be a subaccount auth_id (SA + 18 characters), got {value!r}"
        )
    return _field_equals("sub_account", value)


def _services_test(name: str, value: str) -> Test:
    wanted = [part.strip().lower() for part in value.split(",")]
    for service in wanted:
        _choice(name, service, SERVICES)
    keys = tuple(f"{service}_enabled" for service in dict.fromkeys(wanted))
    return lambda obj: all(obj[key] for key in keys)


def _cnam_test(name: str, value: str) -> Test:
    return _field_equals("cnam_lookup", _choice(name, value, ("enabled", "disabled")))


def _tendlc_test(name: str, value: str) -> Test:
    statuses = TENDLC_STATUSES[_choice(name, value, tuple(TENDLC_STATUSES))]
    return lambda obj: obj["tendlc_registration_status"] in statuses


def _toll_free_test(name: str, value: str) -> Test:
    wanted = _choice(name, value, TOLL_FREE_STATES)
    return lambda obj: (obj["toll_free_sms_verification"] or "").lower() == wanted


def _order_status_test(name: str, value: str) -> Test:
    wanted = value.lower()
    return lambda obj: (obj["toll_free_sms_verification_order_status"] or "").lower() == wanted


def _date_test(name: str, value: str) -> Test:
    try:
        day = datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise bad_request(f"{name} must be a date like 2026-05-10, got {value!r}") from None
    compare = _DATE_OPS[name]
    # ISO dates order as strings, so no parsing per object.
    return lambda obj: obj["renewal_date"] is not None and compare(obj["renewal_date"], day)


_PARSERS: Final[dict[str, Callable[[str, str], Test]]] = {
    "type": _type_test,
    "number_type": _type_test,
    "subaccount": _subaccount_test,
    "alias": lambda name, value: _field_equals("alias", value),
    "services": _services_test,
    "cnam_lookup": _cnam_test,
    "tendlc_registration_status": _tendlc_test,
    "tendlc_campaign_id": lambda name, value: _field_equals("tendlc_campaign_id", value),
    "toll_free_sms_verification": _toll_free_test,
    "toll_free_sms_verification_order_status": _order_status_test,
    **dict.fromkeys(_DATE_OPS, _date_test),
}
KNOWN_PARAMS: Final = frozenset(_PARSERS) | {"number_startswith"} | PAGING_PARAMS


@dataclass(frozen=True, slots=True)
class NumberFilter:
    """A parsed filter set; `key` identifies equal filters for the listing cache."""

    key: tuple[tuple[str, str], ...]
    prefix: str
    tests: tuple[Test, ...]

    def select(self, ordered: list[str], numbers: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """The matching numbers, in the order of `ordered` (which must be sorted)."""
        if self.prefix:
            # Sorted digit strings keep a prefix contiguous; ":" sorts right after "9".
            low = bisect.bisect_left(ordered, self.prefix)
            high = bisect.bisect_left(ordered, self.prefix + ":", low)
            candidates = ordered[low:high]
        else:
            candidates = ordered
        tests = self.tests
        if not tests:
            return candidates
        if len(tests) == 1:
            (test,) = tests
            return [number for number in candidates if test(numbers[number])]
        return [number for number in candidates if all(t(numbers[number]) for t in tests)]


def parse_filters(params: Mapping[str, str]) -> NumberFilter:
    """Validate every filter of the query (unknown or malformed ones are a 400)."""
    unknown = sorted(set(params) - KNOWN_PARAMS)
    if unknown:
        known = ", ".join(sorted(KNOWN_PARAMS))
        raise bad_request(f"unknown query parameter(s) {', '.join(unknown)}; known: {known}")
    if "type" in params and "number_type" in params and params["type"] != params["number_type"]:
        raise bad_request("type and number_type disagree; give one of them")
    prefix = params.get("number_startswith", "").removeprefix("+")
    if prefix and not _DIGITS.fullmatch(prefix):
        raise bad_request(f"number_startswith must be digits, got {prefix!r}")
    tests = tuple(_PARSERS[name](name, value) for name, value in params.items() if name in _PARSERS)
    key = tuple(sorted((k, v) for k, v in params.items() if k not in PAGING_PARAMS))
    return NumberFilter(key=key, prefix=prefix, tests=tests)
