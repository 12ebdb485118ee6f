"""Date conditions: `renewal_date: {gte: "+0d", lt: "2026-12-31"}`, or a bare date meaning eq.

A date is ISO `YYYY-MM-DD` (quoted or not: YAML reads an unquoted one as a date) or a day offset
from the day the plan runs, `+7d` / `-30d`, kept as written and resolved by DateCondition.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final, cast

from bulkops.plan import schema
from bulkops.plan.describe import INVALID, choices_hint, clip, describe, is_int
from bulkops.plan.model import DateCondition, DateOp
from bulkops.plan.problems import Reporter
from bulkops.plan.yamltree import Broken, Map, Node, Scalar, child

_RELATIVE_DATE: Final = re.compile(r"([+-])([0-9]{1,5})d")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_DAYS: Final = 36_500  # a larger offset would overflow `date` when resolved
_DATE_HINT: Final = 'write "YYYY-MM-DD", or "+7d" / "-30d" for days from today'


def dates(kind: schema.Dates, node: Node, path: str, report: Reporter) -> object:
    if isinstance(node, Scalar):
        day = _date_value(node, path, report)
        return INVALID if day is INVALID else (DateCondition("eq", cast(str, day)),)
    if not isinstance(node, Map):
        report.add(node.loc, path, 'must be a date or conditions such as {lt: "+30d"}')
        return INVALID
    if not node.entries:
        report.add(node.loc, path, "no date condition", "allowed: " + ", ".join(kind.ops))
        return INVALID
    conditions: list[DateCondition] = []
    for key, value in node.entries:
        where = child(path, key.text)
        if key.text not in kind.ops:
            report.add(key.loc, where, "unknown date operator", choices_hint(key.text, kind.ops))
            continue
        day = _date_value(value, where, report)
        if day is not INVALID:
            conditions.append(DateCondition(cast(DateOp, key.text), cast(str, day)))
    return tuple(conditions) if len(conditions) == len(node.entries) else INVALID


def _date_value(node: Node, path: str, report: Reporter) -> object:
    if isinstance(node, Broken):
        return INVALID
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        hint = _DATE_HINT
        if isinstance(value, int) and is_int(value) and 0 < value <= _MAX_DAYS:
            hint = f'for {value} days from today write "+{value}d"'
        report.add(node.loc, path, f"must be a date, not {describe(node)}", hint)
        return INVALID
    problem = _date_problem(value)
    if problem:
        report.add(node.loc, path, f"{clip(value)!r} is not a date: {problem}", _DATE_HINT)
        return INVALID
    return value


def _date_problem(value: str) -> str | None:
    relative = _RELATIVE_DATE.fullmatch(value)
    if relative:
        too_far = int(relative.group(2)) > _MAX_DAYS
        return f"more than {_MAX_DAYS} days away" if too_far else None
    if not _ISO_DATE.fullmatch(value):
        return "not in a date format bulkops reads"
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        return str(exc)
    return None
