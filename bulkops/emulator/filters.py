"""The Number list filters of Plivo's docs, parsed once into a prefix range plus field tests.

Filter values use Plivo's request vocabulary (`in_progress`, `verified`); objects use the response
vocabulary (`PROCESSING`, `VERIFIED`). The mapping between the two lives here.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bulkops.emulator.errors import bad_request
from bulkops.emulator.listing import PAGING_PARAMS

FieldTest = tuple[str, Callable[[Any], bool]]  # (object field, does its value match?)

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


def _equals(field: str, value: object) -> list[FieldTest]:
    # partial(eq, …) runs in C; comparing with None gives False, unlike str.__eq__.
    return [(field, functools.partial(operator.eq, value))]


def _type_test(name: str, value: str) -> list[FieldTest]:
    value = "tollfree" if value.lower() == "toll-free" else value
    return _equals("number_type", _choice(name, value, NUMBER_TYPES))


def _subaccount_test(name: str, value: str) -> list[FieldTest]:
    if not _SUBACCOUNT.fullmatch(value):
        raise bad_request(
            f"{name} must be a subaccount auth_id (SA + 18 characters), got {value!r}"
        )
    return _equals("sub_account", value)


def _services_test(name: str, value: str) -> list[FieldTest]:
    wanted = [_choice(name, part.strip(), SERVICES) for part in value.split(",")]
    return [(f"{service}_enabled", bool) for service in dict.fromkeys(wanted)]


def _cnam_test(name: str, value: str) -> list[FieldTest]:
    return _equals("cnam_lookup", _choice(name, value, ("enabled", "disabled")))


def _tendlc_test(name: str, value: str) -> list[FieldTest]:
    statuses = TENDLC_STATUSES[_choice(name, value, tuple(TENDLC_STATUSES))]
    return [("tendlc_registration_status", statuses.__contains__)]


def _folded_equals(field: str, wanted: str) -> list[FieldTest]:
    return [(field, lambda actual: actual is not None and actual.lower() == wanted)]


def _toll_free_test(name: str, value: str) -> list[FieldTest]:
    return _folded_equals("toll_free_sms_verification", _choice(name, value, TOLL_FREE_STATES))


def _order_status_test(name: str, value: str) -> list[FieldTest]:
    return _folded_equals("toll_free_sms_verification_order_status", value.lower())


def _date_test(name: str, value: str) -> list[FieldTest]:
    try:
        day = datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise bad_request(f"{name} must be a date like 2026-05-10, got {value!r}") from None
    compare = _DATE_OPS[name]
    # ISO dates order as strings, so no parsing per object.
    return [("renewal_date", lambda actual: actual is not None and compare(actual, day))]


_PARSERS: Final[dict[str, Callable[[str, str], list[FieldTest]]]] = {
    "type": _type_test,
    "number_type": _type_test,
    "subaccount": _subaccount_test,
    "alias": lambda name, value: _equals("alias", value),
    "services": _services_test,
    "cnam_lookup": _cnam_test,
    "tendlc_registration_status": _tendlc_test,
    "tendlc_campaign_id": lambda name, value: _equals("tendlc_campaign_id", value),
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
    tests: tuple[FieldTest, ...]

    def select(self, ordered: list[str], numbers: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """The matching numbers in order; `numbers` must iterate in the order of `ordered`."""
        objects: Iterable[Mapping[str, Any]]
        if self.prefix:
            # Sorted digit strings keep a prefix contiguous; ":" sorts right after "9".
            low = bisect.bisect_left(ordered, self.prefix)
            high = bisect.bisect_left(ordered, self.prefix + ":", low)
            objects = [numbers[number] for number in ordered[low:high]]
        elif not self.tests:
            return ordered
        else:
            objects = numbers.values()
        # One narrowing pass per field test: a comprehension with one C-level call per object.
        for field, keep in self.tests:
            objects = [obj for obj in objects if keep(obj[field])]
        return [obj["number"] for obj in objects]


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
    tests = tuple(
        test
        for name, value in params.items()
        if name in _PARSERS
        for test in _PARSERS[name](name, value)
    )
    key = tuple(sorted((k, v) for k, v in params.items() if k not in PAGING_PARAMS))
    return NumberFilter(key=key, prefix=prefix, tests=tests)
