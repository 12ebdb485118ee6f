"""Converters for single values: one per kind in `schema.py` (dates live in `dates.py`).

Each takes (kind, node, path, report), reports what is wrong with the node, and returns the
model value or INVALID. They never see a null or an already-reported node: the loader filters
those first. Ids and phone numbers must be YAML strings, so an unquoted `+14155550100` (read as
a number without its `+`) is reported with a hint to quote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, cast
from urllib.parse import urlsplit

from bulkops.numbers import NUMBER_PATTERN, SERVICES
from bulkops.plan import schema
from bulkops.plan.dates import dates
from bulkops.plan.describe import INVALID, choices_hint, clip, describe, is_int, show, text_of
from bulkops.plan.model import Usage
from bulkops.plan.problems import Reporter
from bulkops.plan.templates import TemplateError, referenced_fields
from bulkops.plan.yamltree import Broken, Map, Node, Scalar, Seq, child, item

_DIGITS: Final = re.compile(r"[0-9]+")


def _forbid_template(text: str, node: Node, path: str, report: Reporter) -> bool:
    if "{" not in text and "}" not in text:
        return True
    report.add(
        node.loc, path, "`{...}` templates are not allowed here", "only update alias and cnam"
    )
    return False


def text(kind: schema.Text, node: Node, path: str, report: Reporter) -> object:
    value = text_of(node, path, report, "text")
    if value is None:
        return INVALID
    if kind.template:
        try:
            referenced_fields(value)
        except TemplateError as exc:
            message, _, allowed = str(exc).partition("; ")
            plain = "use plain {field} references; write {{ for a literal {"
            report.add(node.loc, path, message, allowed or (None if "plain" in message else plain))
            return INVALID
    return value


def word(kind: schema.Word, node: Node, path: str, report: Reporter) -> object:
    value = text_of(node, path, report, f"a {kind.what}")
    if value is None:
        return INVALID
    return _shaped(kind, value, node, path, report, "use")


def ident(kind: schema.Ident, node: Node, path: str, report: Reporter) -> object:
    value = text_of(node, path, report, f"a quoted {kind.what}")
    if value is None:
        return INVALID
    if value.lower() == "none" or (value == "" and kind.none == ""):
        return _ident_none(kind, node, path, report)
    if not _forbid_template(value, node, path, report):
        return INVALID
    return _shaped(kind, value, node, path, report, "expected")


def _shaped(
    kind: schema.Word | schema.Ident, value: str, node: Node, path: str, report: Reporter, lead: str
) -> object:
    """`value` if it matches the kind's pattern; else a problem showing the expected shape."""
    if kind.pattern.fullmatch(value):
        return value
    report.add(
        node.loc, path, f"{clip(value)!r} is not a valid {kind.what}", f"{lead} {kind.shape}"
    )
    return INVALID


def _ident_none(kind: schema.Ident, node: Node, path: str, report: Reporter) -> object:
    if kind.none is not None:
        return kind.none
    if kind.refuse_none:
        report.add(node.loc, path, f"`none` is not possible: {kind.refuse_none}", "remove the key")
    else:
        report.add(node.loc, path, "`none` is not accepted here", f"give a {kind.what}")
    return INVALID


def digits(kind: schema.Digits, node: Node, path: str, report: Reporter) -> object:
    value = text_of(node, path, report, "quoted digits")
    if value is None:
        return INVALID
    if not _DIGITS.fullmatch(value) or len(value) > kind.max_length:
        bare = re.sub(r"[^0-9]", "", value)
        hint = f'write "{bare}"' if bare else f"write up to {kind.max_length} digits"
        report.add(
            node.loc, path, f"{clip(value)!r} must be digits only (no '+', spaces or dashes)", hint
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
        meant = dict(kind.suggest).get(node.value.lower())
        hint = choices_hint(meant or node.value, kind.values)
        if kind.many and "," in node.value:
            hint = "write a list, such as [voice, sms]; " + _allowed(kind)
        report.add(node.loc, path, f"{clip(node.value)!r} is not {_a(kind.what)}", hint)
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
            node.loc,
            path,
            f"{clip(node.value)!r} is not a phone number (8-15 digits, no '+')",
            hint,
        )
        return INVALID
    hint = None
    if isinstance(node, Scalar) and is_int(node.value):
        plus = node.text.startswith("+")
        hint = f'quote it{", without the +" if plus else ""}: "{node.text.lstrip("+")}"'
    report.add(node.loc, path, f"must be a quoted phone number, not {describe(node)}", hint)
    return INVALID


def url(kind: schema.Url, node: Node, path: str, report: Reporter) -> object:
    value = text_of(node, path, report, "a quoted URL")
    if value is None or not _forbid_template(value, node, path, report):
        return INVALID
    if not _is_http_url(value):
        report.add(
            node.loc, path, f"{clip(value)!r} is not an http(s) URL", "write https://host/path"
        )
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


def limit(kind: schema.LimitValue, node: Node, path: str, report: Reporter) -> object:
    spec = kind.spec
    try:
        return spec.parse(node.value if isinstance(node, Scalar) else None)
    except ValueError:
        report.add(node.loc, path, f"must be {spec.expected}, not {describe(node)}", spec.hint)
        return INVALID


_DAYS: Final = re.compile(r"([0-9]{1,5})d")


def days(kind: schema.Days, node: Node, path: str, report: Reporter) -> object:
    value = node.value if isinstance(node, Scalar) else None
    match = _DAYS.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        hint = 'write a number of days such as "60d"'
        if isinstance(value, int) and is_int(value) and 0 <= value <= kind.maximum:
            hint = f'write "{value}d"'
        report.add(node.loc, path, f"must be a number of days, not {describe(node)}", hint)
        return INVALID
    count = int(match.group(1))
    if count > kind.maximum:
        why = f": {kind.why}" if kind.why else ""
        message = f"{count}d is more than {kind.maximum} days{why}"
        report.add(node.loc, path, message, f"at most {kind.maximum}d")
        return INVALID
    if count < kind.minimum:
        report.add(node.loc, path, f"must be at least {kind.minimum}d, not {count}d")
        return INVALID
    return count


def usage_period(kind: schema.UsagePeriod, node: Node, path: str, report: Reporter) -> object:
    if not isinstance(node, Map):
        period = days(kind.days, node, path, report)
        return INVALID if period is INVALID else Usage(cast(int, period))
    known = ("period", "services")
    for key, _value in node.entries:
        if key.text not in known:
            report.add(key.loc, child(path, key.text), "unknown key", "allowed: period, services")
            return INVALID
    period_node = node.get("period")
    if period_node is None:
        report.add(node.loc, path, "missing required key 'period'", "such as `period: 60d`")
        return INVALID
    period = days(kind.days, period_node, child(path, "period"), report)
    services_node = node.get("services")
    services: object = SERVICES
    if services_node is not None:
        services = choice(kind.services, services_node, child(path, "services"), report)
    if period is INVALID or services is INVALID:
        return INVALID
    return Usage(cast(int, period), cast(tuple[str, ...], services))


def boolean(kind: schema.Boolean, node: Node, path: str, report: Reporter) -> object:
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, bool) and isinstance(node, Scalar) and node.text in ("true", "false"):
        return value
    hint = "write `true` or `false` (YAML also reads yes/no/on/off; bulkops does not take them)"
    report.add(node.loc, path, f"must be true or false, not {describe(node)}", hint)
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
    if is_int(value) and value in kind.supported:
        return value
    if is_int(value):
        message = f"unsupported version {show(value)}"
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
    schema.LimitValue: limit,
    schema.Days: days,
    schema.UsagePeriod: usage_period,
    schema.Boolean: boolean,
    schema.Flag: flag,
    schema.Version: version,
}
