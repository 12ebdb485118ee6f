"""The full selection predicate: every condition of a selector, tested on one record.

A selector is compiled once (dates resolved, lists turned into sets) and applied to every listed
number, pushed-down conditions included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Final

from bulkops.numbers import NumberRecord
from bulkops.plan import NONE, DateCondition, Selector

# Plivo's own fixtures show REGISTERED where the docs say COMPLETED.
_TENDLC_ALIASES: Final = {"REGISTERED": "COMPLETED"}


class Predicate:
    """A selector compiled once (dates resolved, lists turned into sets) and applied per record."""

    __slots__ = ("_checks", "_exclude", "_numbers")

    def __init__(
        self, selector: Selector, today: date, exclude: frozenset[str] = frozenset()
    ) -> None:
        self._numbers = None if selector.numbers is None else frozenset(selector.numbers)
        self._exclude = selector.exclude | exclude
        self._checks = _checks(selector, today)

    def __call__(self, record: NumberRecord) -> bool:
        if record.number in self._exclude:
            return False
        if self._numbers is not None and record.number not in self._numbers:
            return False
        return all(check(record) for check in self._checks)


Check = Callable[[NumberRecord], bool]


def _checks(s: Selector, today: date) -> list[Check]:
    """One small test per condition the selector states; absent conditions cost nothing."""
    checks: list[Check] = []
    if s.types:
        types = frozenset(s.types)
        checks.append(lambda r: r.number_type in types)
    if s.services:
        wanted = frozenset(s.services)
        checks.append(lambda r: wanted <= r.services)
    if s.number_startswith is not None:
        prefix = s.number_startswith
        checks.append(lambda r: r.number.startswith(prefix))
    if s.subaccount is not None:
        subaccount = None if s.subaccount == NONE else s.subaccount
        checks.append(lambda r: (r.subaccount or None) == subaccount)
    if s.application is not None:
        app_id = None if s.application == NONE else s.application
        checks.append(lambda r: (r.app_id or None) == app_id)
    if s.alias is not None:
        alias = s.alias or None  # Plivo shows a cleared alias as "" or null
        checks.append(lambda r: (r.alias or None) == alias)
    if s.tendlc_registration_status is not None:
        status = s.tendlc_registration_status.upper()
        checks.append(lambda r: _tendlc_status(r) == status)
    if s.toll_free_sms_verification is not None:
        verification = s.toll_free_sms_verification.upper()
        checks.append(lambda r: (r.toll_free_sms_verification or "").upper() == verification)
    for name in ("cnam_lookup", "tendlc_campaign_id"):
        wanted_value: str | None = getattr(s, name)
        if wanted_value is not None:
            checks.append(_equals(name, wanted_value))
    checks.extend(_date_check(condition, today) for condition in s.renewal_date)
    return checks


def _equals(name: str, value: str) -> Check:
    return lambda r: getattr(r, name) == value


def _tendlc_status(record: NumberRecord) -> str:
    status = (record.tendlc_registration_status or "").upper()
    return _TENDLC_ALIASES.get(status, status)


def _date_check(condition: DateCondition, today: date) -> Check:
    # ISO dates order as strings, which avoids parsing 300k dates.
    bound = condition.resolve(today).isoformat()
    compare: Callable[[str], bool] = {
        "eq": bound.__eq__,
        "lt": bound.__gt__,
        "lte": bound.__ge__,
        "gt": bound.__lt__,
        "gte": bound.__le__,
    }[condition.op]
    return lambda r: r.renewal_date is not None and compare(r.renewal_date[:10])


def matches(selector: Selector, record: NumberRecord, today: date) -> bool:
    """True if `record` meets every condition of `selector`, pushed-down ones included."""
    return Predicate(selector, today)(record)
