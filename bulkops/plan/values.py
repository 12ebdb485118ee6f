"""Converters for single values: one per kind in `schema.py`.

Each takes (kind, node, path, report), reports what is wrong with the node, and returns the
model value or INVALID. They never see a null or an already-reported node: the loader filters
those first. Most YAML traps land here: `no` read as false, `+14155550100` read as a number
that lost its `+`, `0123` read as octal 83; the hint says to quote the value.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final, cast
from urllib.parse import urlsplit

from bulkops.numbers import NUMBER_PATTERN
from bulkops.plan import schema
from bulkops.plan.model import DateCondition, DateOp
from bulkops.plan.problems import Reporter
from bulkops.plan.yamltree import Broken, Map, Node, Scalar, Seq, child, item
from bulkops.templates import TemplateError, referenced_fields


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()

_RELATIVE_DATE: Final = re.compile(r"([+-])([0-9]{1,5})d")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_DAYS: Final = 36_500
_PERCENT: Final = re.compile(r"([0-9]{1,3}(?:\.[0-9]+)?)%")
_DIGITS: Final = re.compile(r"[0-9]+")
_OCTAL: Final = re.compile(r"[-+]?0[0-7_]+")
_DATE_HINT: Final = 'write "YYYY-MM-DD", or "+7d" / "-30d" for days from today'


def describe(node: Node) -> str:
    """How YAML read `node`, in words, pointing out the surprising readings."""
    if isinstance(node, Broken):
        return "an unusable value"
    if isinstance(node, Map):
        return "a mapping"
    if not isinstance(node, Scalar):
        return "a list"
    value = node.value
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"the text {value!r}"
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    kind = "boolean" if isinstance(value, bool) else _scalar_kind(value)
    if node.text == shown:
        return f"the {kind} {shown}"
    octal = _is_int(value) and _OCTAL.fullmatch(node.text)
    return f"the {kind} {shown} (YAML reads `{node.text}` as {'octal ' if octal else ''}{shown})"


def _scalar_kind(value: object) -> str:
    if isinstance(value, datetime):
        return "timestamp"
    return "date" if isinstance(value, date) else "number"


def quote_hint(node: Node) -> str | None:
    if isinstance(node, Scalar) and node.value is not None:
        return f'quote it: "{node.text}"'
    return None


def choices_hint(word: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    listed = "allowed: " + ", ".join(allowed)
    return f"did you mean {close[0]!r}? {listed}" if close else listed


def _text_of(node: Node, path: str, report: Reporter, what: str) -> str | None:
    """The node's string, or None after reporting that it is not a string."""
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return node.value
    report.add(node.loc, path, f"must be {what}, not {describe(node)}", quote_hint(node))
    return None


def _forbid_template(text: str, node: Node, path: str, report: Reporter) -> bool:
    if "{" not in text and "}" not in text:
        return True
    report.add(
        node.loc, path, "`{...}` templates are not allowed here", "only update alias and cnam"
    )
    return False


def text(kind: schema.Text, node: Node, path: str, report: Reporter) -> object:
    value = _text_of(node, path, report, "text")
    if value is None:
        return INVALID
    if kind.template:
        try:
            referenced_fields(value)
        except TemplateError as exc:
            message, _, allowed = str(exc).partition("; ")
            report.add(node.loc, path, message, allowed or "use plain {field} references")
            return INVALID
    return value


def word(kind: schema.Word, node: Node, path: str, report: Reporter) -> object:
    value = _text_of(node, path, report, f"a {kind.what}")
    if value is None:
        return INVALID
    if not kind.pattern.fullmatch(value):
        report.add(node.loc, path, f"{value!r} is not a valid {kind.what}", f"use {kind.shape}")
        return INVALID
    return value


def ident(kind: schema.Ident, node: Node, path: str, report: Reporter) -> object:
    value = _text_of(node, path, report, f"a quoted {kind.what}")
    if value is None:
        return INVALID
    if value.lower() == "none" or (value == "" and kind.none == ""):
        return _ident_none(kind, node, path, report)
    if not _forbid_template(value, node, path, report):
        return INVALID
    if not kind.pattern.fullmatch(value):
        report.add(
            node.loc, path, f"{value!r} is not a valid {kind.what}", f"expected {kind.shape}"
        )
        return INVALID
    return value


def _ident_none(kind: schema.Ident, node: Node, path: str, report: Reporter) -> object:
    if kind.none is not None:
        return kind.none
    if kind.refuse_none:
        report.add(node.loc, path, f"`none` is not possible: {kind.refuse_none}", "remove the key")
    else:
        report.add(node.loc, path, "`none` is not accepted here", f"give a {kind.what}")
    return INVALID


def digits(kind: schema.Digits, node: Node, path: str, report: Reporter) -> object:
    value = _text_of(node, path, report, "quoted digits")
    if value is None:
        return INVALID
    if not _DIGITS.fullmatch(value) or len(value) > kind.max_length:
        bare = re.sub(r"[^0-9]", "", value)
        hint = f'write "{bare}"' if bare else f"write up to {kind.max_length} digits"
        report.add(
            node.loc, path, f"{value!r} must be digits only (no '+', spaces or dashes)", hint
        )
        return INVALID
    return value


def choice(kind: schema.Choice, node: Node, path: str, report: Reporter) -> object:
    if not kind.many:
        return _one_choice(kind, node, path, report)
    if isinstance(node, Seq):
        if not node.items:
            report.add(
                node.loc, path, "empty list", "remove the key to accept any; " + _allowed(kind)
            )
            return INVALID
        picked = [_one_choice(kind, sub, item(path, i), report) for i, sub in enumerate(node.items)]
        if any(value is INVALID for value in picked):
            return INVALID
        return tuple(dict.fromkeys(cast(list[str], picked)))
    value = _one_choice(kind, node, path, report)
    return INVALID if value is INVALID else (value,)


def _a(what: str) -> str:
    return f"{'an' if what[0] in 'aeiouH' else 'a'} {what}"


def _allowed(kind: schema.Choice) -> str:
    return "allowed: " + ", ".join(kind.values)


def _one_choice(kind: schema.Choice, node: Node, path: str, report: Reporter) -> object:
    if isinstance(node, Broken):
        return INVALID
    if isinstance(node, Scalar) and isinstance(node.value, str):
        by_lower = {value.lower(): value for value in kind.values}
        found = by_lower.get(node.value.lower())
        if found is not None:
            return found
        hint = choices_hint(node.value.lower(), kind.values)
        if kind.many and "," in node.value:
            hint = "write a list, such as [voice, sms]; " + _allowed(kind)
        report.add(node.loc, path, f"{node.value!r} is not {_a(kind.what)}", hint)
        return INVALID
    report.add(node.loc, path, f"must be {_a(kind.what)}, not {describe(node)}", _allowed(kind))
    return INVALID


def phone_numbers(kind: schema.PhoneNumbers, node: Node, path: str, report: Reporter) -> object:
    if isinstance(node, Map):
        report.add(node.loc, path, "must be a list of phone numbers, not a mapping")
        return INVALID
    if isinstance(node, Scalar | Broken):
        numbers = [_phone_number(node, path, report)]
    else:
        if not node.items and not kind.allow_empty:
            report.add(
                node.loc, path, "empty list selects no numbers", "remove the key or the rule"
            )
            return INVALID
        numbers = [_phone_number(sub, item(path, i), report) for i, sub in enumerate(node.items)]
    if any(number is INVALID for number in numbers):
        return INVALID
    found = cast(list[str], numbers)
    return frozenset(found) if kind.as_set else tuple(dict.fromkeys(found))


def _phone_number(node: Node, path: str, report: Reporter) -> object:
    if isinstance(node, Broken):
        return INVALID
    if isinstance(node, Scalar) and isinstance(node.value, str):
        if NUMBER_PATTERN.fullmatch(node.value):
            return node.value
        bare = re.sub(r"[^0-9]", "", node.value)
        hint = f'write "{bare}"' if NUMBER_PATTERN.fullmatch(bare) else None
        report.add(
            node.loc, path, f"{node.value!r} is not a phone number (8-15 digits, no '+')", hint
        )
        return INVALID
    hint = None
    if isinstance(node, Scalar) and _is_int(node.value):
        plus = node.text.startswith("+")
        hint = f'quote it{", without the +" if plus else ""}: "{node.text.lstrip("+")}"'
    report.add(node.loc, path, f"must be a quoted phone number, not {describe(node)}", hint)
    return INVALID


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
        if _is_int(value):
            hint = f'for {value} days from today write "+{value}d"'
        report.add(node.loc, path, f"must be a date, not {describe(node)}", hint)
        return INVALID
    problem = _date_problem(value)
    if problem:
        report.add(node.loc, path, f"{value!r} is not a date: {problem}", _DATE_HINT)
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


def url(kind: schema.Url, node: Node, path: str, report: Reporter) -> object:
    value = _text_of(node, path, report, "a quoted URL")
    if value is None or not _forbid_template(value, node, path, report):
        return INVALID
    if not _is_http_url(value):
        report.add(node.loc, path, f"{value!r} is not an http(s) URL", "write https://host/path")
        return INVALID
    return value


def _is_http_url(value: str) -> bool:
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(node: Node) -> int | float | None:
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def count(kind: schema.Count, node: Node, path: str, report: Reporter) -> object:
    value = _number(node)
    in_range = kind.maximum is None or (isinstance(value, int) and value <= kind.maximum)
    if isinstance(value, int) and value >= kind.minimum and in_range:
        return value
    bound = f"from {kind.minimum} to {kind.maximum}" if kind.maximum else f"≥ {kind.minimum}"
    report.add(node.loc, path, f"must be a whole number {bound}, not {describe(node)}")
    return INVALID


def rate(kind: schema.Rate, node: Node, path: str, report: Reporter) -> object:
    value = _number(node)
    if value is not None and math.isfinite(value) and kind.above < value <= kind.maximum:
        return float(value)
    bound = f"above {kind.above:g} and at most {kind.maximum:g}"
    report.add(
        node.loc, path, f"must be a number {bound}, not {describe(node)}", "requests per second"
    )
    return INVALID


def failure_budget(kind: schema.FailureBudget, node: Node, path: str, report: Reporter) -> object:
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, int) and _is_int(value) and value >= 0:
        return str(value)
    if isinstance(value, str):
        if _DIGITS.fullmatch(value):
            return str(int(value))
        share = _PERCENT.fullmatch(value)
        if share and 0 < float(share.group(1)) <= 100:
            return value
    hint = 'a count such as 10, or a share such as "5%" (above 0, at most 100)'
    report.add(node.loc, path, f"must be a count or a percentage, not {describe(node)}", hint)
    return INVALID


def flag(kind: schema.Flag, node: Node, path: str, report: Reporter) -> object:
    value = node.value if isinstance(node, Scalar) else None
    if value is True:
        return True
    if value is False:
        message = f"`{node.text if isinstance(node, Scalar) else ''}` does nothing"
        report.add(node.loc, path, message, f"remove the key, or write `true` to {kind.meaning}")
    else:
        report.add(
            node.loc, path, f"must be true, not {describe(node)}", f"`true` to {kind.meaning}"
        )
    return INVALID


def version(kind: schema.Version, node: Node, path: str, report: Reporter) -> object:
    supported = ", ".join(str(v) for v in kind.supported)
    value = node.value if isinstance(node, Scalar) else None
    if _is_int(value) and value in kind.supported:
        return value
    if _is_int(value):
        message = f"unsupported version {value}"
    else:
        message = f"must be a version number, not {describe(node)}"
    report.add(node.loc, path, message, f"supported versions: {supported}")
    return INVALID


Converter = Callable[[Any, Node, str, Reporter], object]

CONVERTERS: Final[dict[type, Converter]] = {
    schema.Text: text,
    schema.Word: word,
    schema.Ident: ident,
    schema.Digits: digits,
    schema.Choice: choice,
    schema.PhoneNumbers: phone_numbers,
    schema.Dates: dates,
    schema.Url: url,
    schema.Count: count,
    schema.Rate: rate,
    schema.FailureBudget: failure_budget,
    schema.Flag: flag,
    schema.Version: version,
}
