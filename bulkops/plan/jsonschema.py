"""The plan format as a JSON Schema, for editors (yaml-language-server), generated from `schema`.

The loader stays the judge: this schema completes keys and flags most mistakes as they are typed,
but what it cannot express (a rule name used twice, a number both selected and excluded, YAML
1.1's readings of `no` or `0123`) only `bulkops validate` reports. Draft-07, the draft
yaml-language-server supports best.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any, Final

import yaml

from bulkops import limits
from bulkops.numbers import NUMBER_PATTERN
from bulkops.plan import schema

DRAFT: Final = "http://json-schema.org/draft-07/schema#"
Json = dict[str, Any]

_PHONE: Final[Json] = {"type": "string", "pattern": f"^{NUMBER_PATTERN.pattern}$"}
_DATE: Final[Json] = {
    "type": "string",
    "pattern": r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[+-][0-9]{1,5}d)$",
    "description": 'YYYY-MM-DD, or "+7d" / "-30d": days from the day the plan runs',
}
_NONE_WORD: Final = "[Nn][Oo][Nn][Ee]"
# The limits' ranges, in JSON Schema words; `limits` holds them as parsers, which a schema
# cannot read. A limit missing here fails `plan_json_schema` (and so the docs' sync test).
_LIMITS: Final[dict[str, Json]] = {
    "rate": {"type": "number", "exclusiveMinimum": 0, "maximum": limits.MAX_RATE},
    "concurrency": {"type": "integer", "minimum": 1, "maximum": limits.MAX_CONCURRENCY},
    "max_changes": {"type": "integer", "minimum": 0, "maximum": limits.MAX_COUNT},
    "max_failures": {
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": limits.MAX_COUNT},
            {"type": "string", "pattern": r"^\s*(?:[0-9]{1,10}|[0-9]{1,3}(?:\.[0-9]+)?%)\s*$"},
        ]
    },
    "max_retries": {"type": "integer", "minimum": 0, "maximum": 100},
}


class _EditorLoader(yaml.SafeLoader):
    """YAML as a language server reads it: an unquoted date stays the text it is."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def editor_load(text: str) -> Any:
    """Parse YAML `text` the way an editor validating against this schema sees it."""
    return yaml.load(text, Loader=_EditorLoader)  # noqa: S506 (a SafeLoader subclass)


def plan_json_schema() -> Json:
    """The JSON Schema of a plan file."""
    return {
        "$schema": DRAFT,
        "title": "bulkops plan",
        "description": "A bulkops plan (docs/plan-format.md); `bulkops validate PLAN` judges.",
        **_section(schema.PLAN),
    }


def _section(section: schema.Section) -> Json:
    properties = {key.name: _key(key) for key in section.keys}
    out: Json = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [key.name for key in section.keys if key.required]
    if required:
        out["required"] = required
    if section.free_prefix:
        out["patternProperties"] = {f"^{re.escape(section.free_prefix)}": {}}
    if section is schema.RULE:
        # A rule has exactly one action.
        out["oneOf"] = [{"required": [action]} for action in schema.ACTIONS]
    return out


def _key(key: schema.Key) -> Json:
    out = {"description": key.doc, **kind_schema(key.value)}
    if key.examples:
        out["examples"] = [_jsonable(editor_load(example)) for example in key.examples]
    return out


def _jsonable(value: object) -> object:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def kind_schema(kind: schema.Kind) -> Json:
    """The JSON Schema of one kind of value."""
    make: Callable[[Any], Json] = _KINDS[type(kind)]
    return make(kind)


def _pattern(regex: re.Pattern[str], *alternatives: str) -> str:
    return "^(?:" + "|".join((regex.pattern, *alternatives)) + ")$"


def _ident(kind: schema.Ident) -> Json:
    if kind.none is None:
        # `none` is refused by the loader even where the id pattern would match it.
        return {
            "type": "string",
            "pattern": _pattern(kind.pattern),
            "not": {"pattern": f"^{_NONE_WORD}$"},
        }
    extra = (_NONE_WORD, "") if kind.none == "" else (_NONE_WORD,)
    return {"type": "string", "pattern": _pattern(kind.pattern, *extra)}


def _caseless(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


def _choice(kind: schema.Choice) -> Json:
    # Letter case is free: the enum completes, the pattern accepts `Enabled` too.
    caseless = "^(?:" + "|".join(_caseless(value) for value in kind.values) + ")$"
    one: Json = {"anyOf": [{"enum": list(kind.values)}, {"type": "string", "pattern": caseless}]}
    if not kind.many:
        return one
    return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}


def _phone_numbers(kind: schema.PhoneNumbers) -> Json:
    many: Json = {"type": "array", "items": _PHONE}
    if not kind.allow_empty:
        many["minItems"] = 1
    return {"anyOf": [_PHONE, many]}


def _dates(kind: schema.Dates) -> Json:
    conditions: Json = {
        "type": "object",
        "properties": dict.fromkeys(kind.ops, _DATE),
        "additionalProperties": False,
        "minProperties": 1,
    }
    return {"anyOf": [_DATE, conditions]}


def _limit(kind: schema.LimitValue) -> Json:
    return dict(_LIMITS[kind.spec.name])


def _days(kind: schema.Days) -> Json:
    # The range is the loader's to check: a pattern cannot count.
    return {
        "type": "string",
        "pattern": r"^\s*[0-9]{1,5}d\s*$",
        "description": f"days, {kind.minimum}d to {kind.maximum}d",
    }


def _usage(kind: schema.UsagePeriod) -> Json:
    spelled_out: Json = {
        "type": "object",
        "properties": {"period": _days(kind.days), "services": _choice(kind.services)},
        "required": ["period"],
        "additionalProperties": False,
    }
    return {"anyOf": [_days(kind.days), spelled_out]}


_KINDS: Final[dict[type, Callable[[Any], Json]]] = {
    schema.Text: lambda kind: {"type": "string"},
    schema.Word: lambda kind: {"type": "string", "pattern": _pattern(kind.pattern)},
    schema.Ident: _ident,
    schema.Digits: lambda kind: {"type": "string", "pattern": f"^[0-9]{{1,{kind.max_length}}}$"},
    schema.Choice: _choice,
    schema.PhoneNumbers: _phone_numbers,
    schema.Dates: _dates,
    schema.Url: lambda kind: {"type": "string", "pattern": r"^https?://[^\s/?#]+\S*$"},
    schema.LimitValue: _limit,
    schema.Days: _days,
    schema.UsagePeriod: _usage,
    schema.Boolean: lambda kind: {"type": "boolean"},
    schema.Flag: lambda kind: {"const": True},
    schema.Version: lambda kind: {"enum": list(kind.supported)},
    schema.Section: _section,
    schema.ListOf: lambda kind: {"type": "array", "items": _section(kind.section), "minItems": 1},
}
