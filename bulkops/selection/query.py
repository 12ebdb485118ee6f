"""Pushdown: the conditions of a selector that Plivo's Number list can filter on, as a Query.

A listing with these filters transfers fewer numbers; `predicate` still tests every condition on
every listed number, so a server that ignores a filter costs bandwidth, never a wrong change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from bulkops.client import MAX_PAGE_SIZE
from bulkops.numbers import SERVICES
from bulkops.plan import NONE, DateCondition, Selector

# Plan (object) spelling → list-filter spelling. REGISTERED appears in Plivo's own fixtures.
_TENDLC_FILTER: Final = {
    "UNREGISTERED": "unregistered",
    "PROCESSING": "in_progress",
    "COMPLETED": "registered",
}
_DATE_PARAM: Final = {
    "eq": "renewal_date",
    "lt": "renewal_date__lt",
    "lte": "renewal_date__lte",
    "gt": "renewal_date__gt",
    "gte": "renewal_date__gte",
}
# For two bounds with the same operator, the strictest one: the smaller upper bound, the larger
# lower bound. Two different `eq` dates match nothing; pushing either one is then just as safe.
_STRICTEST: Final[Mapping[str, Callable[[str, str], str]]] = {
    "eq": min,
    "lt": min,
    "lte": min,
    "gt": max,
    "gte": max,
}


@dataclass(frozen=True, slots=True)
class Query:
    """List filters in Plivo's wire spelling, sorted, so equal filters compare and hash equal."""

    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Query:
        return cls(tuple(sorted(params.items())))

    def as_dict(self) -> dict[str, str]:
        return dict(self.params)


def pushdown(selector: Selector, today: date) -> Query:
    """The conditions of `selector` that Plivo's list endpoint can filter on, as a Query."""
    params: dict[str, str] = {}
    if len(selector.types) == 1:
        params["type"] = selector.types[0]
    if selector.services:
        params["services"] = ",".join(s for s in SERVICES if s in selector.services)
    if selector.subaccount is not None and selector.subaccount != NONE:
        params["subaccount"] = selector.subaccount
    if selector.tendlc_registration_status is not None:
        params["tendlc_registration_status"] = _TENDLC_FILTER[selector.tendlc_registration_status]
    if selector.toll_free_sms_verification is not None:
        params["toll_free_sms_verification"] = selector.toll_free_sms_verification.lower()
    for name in ("number_startswith", "alias", "cnam_lookup", "tendlc_campaign_id"):
        value: str | None = getattr(selector, name)
        if value:  # an empty alias cannot be told apart from "any" on the wire
            params[name] = value
    params.update(_date_params(selector.renewal_date, today))
    return Query.of(params)


def _date_params(conditions: Iterable[DateCondition], today: date) -> dict[str, str]:
    params: dict[str, str] = {}
    for condition in conditions:
        name = _DATE_PARAM[condition.op]
        value = condition.resolve(today).isoformat()
        params[name] = _STRICTEST[condition.op](params[name], value) if name in params else value
    return params


@dataclass(frozen=True, slots=True)
class Counted:
    """A listing a plan selected with: its filters, the numbers it matched, the rules it served.

    Saved with a plan, so that re-reading its numbers later can list the same filters again
    (costing about `pages` requests) instead of the whole account or one GET per number.
    """

    query: Query
    total_count: int
    rules: tuple[str, ...]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total_count / MAX_PAGE_SIZE))

    def to_json(self) -> dict[str, object]:
        return {
            "params": self.query.as_dict(),
            "total_count": self.total_count,
            "rules": list(self.rules),
        }

    @classmethod
    def from_json(cls, raw: object) -> Counted:
        """Read what `to_json` wrote; ValueError says what is wrong."""
        if not isinstance(raw, dict):
            raise ValueError("must be an object")
        params, total, rules = raw.get("params"), raw.get("total_count"), raw.get("rules")
        if not isinstance(params, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in params.items()
        ):
            raise ValueError("params must map filter names to text")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError("total_count must be a count")
        if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
            raise ValueError("rules must be a list of rule names")
        return cls(Query.of(params), total, tuple(rules))
