"""The plan format (version 1), described once, as data.

Every key the loader accepts, at every level, is listed here with the kind of value it takes;
the loader walks these descriptions and knows no key names of its own (apart from the rules
that tie several keys together). Adding a key is one line here plus, if it is a new kind of
value, one converter in `values.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bulkops import limits
from bulkops.numbers import (
    CALLBACK_METHODS,
    HISTORY_DAYS,
    ID_PATTERN,
    NUMBER_TYPES,
    ON_OFF,
    SERVICES,
    SUBACCOUNT_PATTERN,
    TENDLC_STATUSES,
    TOLL_FREE_VERIFICATIONS,
    UPDATE_FIELDS,
)
from bulkops.plan.model import NONE

SUPPORTED_VERSIONS: Final = (1,)
DATE_OPS: Final = ("lt", "lte", "gt", "gte", "eq")
RULE_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_.-]+")
ID_SHAPE: Final = "letters, digits, '_' or '-', at most 64"
_NAME_SHAPE: Final = "letters, digits, '_', '.' or '-'"


# ---- kinds of value -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Free text; with `template`, `{field}` references to the number's fields are allowed."""

    template: bool = False


@dataclass(frozen=True, slots=True)
class Word:
    """Text restricted to a pattern, such as a rule name."""

    what: str
    pattern: re.Pattern[str]
    shape: str


@dataclass(frozen=True, slots=True)
class Ident:
    """An id that ends up in a request (and so must match its pattern), or `none`."""

    what: str
    pattern: re.Pattern[str]
    shape: str
    none: str | None = None  # what `none` is stored as; None: `none` is not accepted
    none_means: str | None = None  # for hints: what `none` says here
    refuse_none: str | None = None  # why `none` cannot be honoured here


@dataclass(frozen=True, slots=True)
class Digits:
    """A run of digits that is not a whole number, such as a prefix."""

    max_length: int


@dataclass(frozen=True, slots=True)
class Choice:
    """One of `values`, in any letter case; with `many`, a list of them (or a single one)."""

    what: str
    values: tuple[str, ...]
    many: bool = False
    # Words users bring from elsewhere (Plivo's list filters, other docs) → the value meant.
    suggest: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PhoneNumbers:
    """A list of phone numbers (a single one is fine), each a quoted string of 8-15 digits."""

    as_set: bool = False  # a frozenset (exclusions) rather than a tuple in written order
    allow_empty: bool = False


@dataclass(frozen=True, slots=True)
class Dates:
    """A date condition: `{op: date, ...}`, or a bare date meaning `eq`."""

    ops: tuple[str, ...] = DATE_OPS


@dataclass(frozen=True, slots=True)
class Url:
    """An absolute http(s) URL."""


@dataclass(frozen=True, slots=True)
class LimitValue:
    """A run limit; what it takes is described once, in `bulkops.limits`."""

    spec: limits.LimitSpec


@dataclass(frozen=True, slots=True)
class Days:
    """A number of days written `30d`, from `minimum` to `maximum`; `why` explains the maximum."""

    minimum: int
    maximum: int
    why: str = ""


@dataclass(frozen=True, slots=True)
class UsagePeriod:
    """`60d`, or `{period: 60d, services: [voice]}`: see `model.Usage`."""

    days: Days
    services: Choice


@dataclass(frozen=True, slots=True)
class Boolean:
    """`true` or `false`, and nothing YAML merely reads as one (`yes`, `on`)."""


@dataclass(frozen=True, slots=True)
class Flag:
    """A key whose only meaningful value is `true`, such as `unrent`."""

    meaning: str


@dataclass(frozen=True, slots=True)
class Version:
    supported: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    value: Kind
    doc: str
    required: bool = False
    attr: str = ""  # the model attribute it fills, when it differs from `name`
    # Values as written in YAML, for docs/plan-format.md and the JSON Schema (both generated
    # from here); each must load. Sections and lists are shown through their own keys instead.
    examples: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        return self.attr or self.name


@dataclass(frozen=True, slots=True)
class Section:
    """A mapping with known keys; the loader turns it into the model object named `name`."""

    name: str
    keys: tuple[Key, ...]
    free_prefix: str | None = None  # keys starting with it are the user's own, and ignored

    def key(self, name: str) -> Key | None:
        return next((key for key in self.keys if key.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)


@dataclass(frozen=True, slots=True)
class ListOf:
    """A non-empty list of sections whose `unique` key must differ between items."""

    section: Section
    unique: str | None = None


Kind = (
    Text
    | Word
    | Ident
    | Digits
    | Choice
    | PhoneNumbers
    | Dates
    | Url
    | LimitValue
    | Days
    | UsagePeriod
    | Boolean
    | Flag
    | Version
    | Section
    | ListOf
)

# ---- the format -----------------------------------------------------------------------------


def _ident(what: str, **extra: str) -> Ident:
    return Ident(what, ID_PATTERN, ID_SHAPE, **extra)


_SUBACCOUNT_SHAPE: Final = "'SA' and 18 capital letters or digits"
_METHOD: Final = Choice("HTTP method", CALLBACK_METHODS)
_EXCLUDE: Final = PhoneNumbers(as_set=True, allow_empty=True)

SELECT: Final = Section(
    "select",
    (
        Key(
            "type",
            Choice("number type", NUMBER_TYPES, many=True),
            "any of",
            attr="types",
            examples=("local", "[local, tollfree]"),
        ),
        Key(
            "services",
            Choice("service", SERVICES, many=True),
            "all of these enabled",
            examples=("[voice, sms]", "sms"),
        ),
        Key(
            "number_startswith",
            Digits(15),
            "the number begins with these digits",
            examples=('"1415"',),
        ),
        Key(
            "subaccount",
            Ident(
                "subaccount id",
                SUBACCOUNT_PATTERN,
                _SUBACCOUNT_SHAPE,
                none=NONE,
                none_means="for the main account",
            ),
            "owned by this subaccount, or `none` for the main account",
            examples=("SAMKTG7Q2X9D4K1B8N3V", "none"),
        ),
        Key("alias", Text(), "exactly this alias", examples=('"Main line"',)),
        Key(
            "application",
            _ident("application id", none=NONE, none_means="for no application linked"),
            "linked to this application, or `none` for no application",
            examples=('"16632559604105954"', "none"),
        ),
        Key(
            "tendlc_campaign_id",
            _ident("10DLC campaign id"),
            "linked to this 10DLC campaign",
            examples=("CMPT4EP",),
        ),
        Key(
            "tendlc_registration_status",
            Choice(
                "10DLC registration status",
                TENDLC_STATUSES,
                suggest=(("registered", "COMPLETED"), ("in_progress", "PROCESSING")),
            ),
            "10DLC registration status",
            examples=("COMPLETED",),
        ),
        Key(
            "toll_free_sms_verification",
            Choice("toll-free verification status", TOLL_FREE_VERIFICATIONS),
            "toll-free SMS verification status",
            examples=("VERIFIED",),
        ),
        Key(
            "cnam_lookup",
            Choice("cnam_lookup setting", ON_OFF),
            "CNAM lookup setting",
            examples=("enabled",),
        ),
        Key(
            "renewal_date",
            Dates(),
            "renewal date conditions, all must hold",
            examples=('{gte: "+0d", lte: "+7d"}', '"2026-12-31"'),
        ),
        Key(
            "numbers",
            PhoneNumbers(),
            "only these numbers",
            examples=('["14155550100", "14155550101"]',),
        ),
        Key("exclude", _EXCLUDE, "never these numbers", examples=('["14155550100"]',)),
        Key(
            "unused_for",
            UsagePeriod(
                Days(
                    1, HISTORY_DAYS, f"Plivo keeps call and message records for {HISTORY_DAYS} days"
                ),
                Choice("service", SERVICES, many=True),
            ),
            "no call and no message, inbound or outbound, in this many days (`60d`); "
            "`{period: 60d, services: [voice]}` counts only calls (voice) or messages (sms, mms)",
            examples=("60d", "{period: 30d, services: [voice]}"),
        ),
    ),
)

_UPDATE_KINDS: Final[dict[str, Kind]] = {
    "app_id": _ident("application id", none="", none_means="to unlink the application"),
    "subaccount": Ident(
        "subaccount id",
        SUBACCOUNT_PATTERN,
        _SUBACCOUNT_SHAPE,
        refuse_none="Plivo does not document moving a number back to the main account",
    ),
    "alias": Text(template=True),
    "compliance_id": _ident("compliance application id"),
    "cnam_lookup": Choice("cnam_lookup setting", ON_OFF),
    "cnam": Text(template=True),
    "cnam_callback_url": Url(),
    "cnam_callback_method": _METHOD,
    "caller_reputation": Choice("caller_reputation setting", ON_OFF),
    "profile_uuid": _ident("business profile id"),
    "caller_reputation_callback_url": Url(),
    "caller_reputation_callback_method": _METHOD,
}
_UPDATE_EXAMPLES: Final[dict[str, tuple[str, ...]]] = {
    "app_id": ('"29986316244302815"', "none"),
    "subaccount": ("SASALE0N4W7E1U3I6O9A",),
    "alias": ('"IVR {number}"',),
    "compliance_id": ('"20372631212782797"',),
    "cnam_lookup": ("enabled",),
    "cnam": ('"ACME"',),
    "cnam_callback_url": ('"https://hooks.example.com/cnam"',),
    "cnam_callback_method": ("POST",),
    "caller_reputation": ("disabled",),
    "profile_uuid": ('"b1c2d3e4-0000-1111-2222-333344445555"',),
    "caller_reputation_callback_url": ('"https://hooks.example.com/reputation"',),
    "caller_reputation_callback_method": ("POST",),
}
# Built from UPDATE_FIELDS, so a new Number API field without a kind fails at import.
UPDATE: Final = Section(
    "update",
    tuple(
        Key(
            name,
            _UPDATE_KINDS[name],
            "Number API update argument",
            examples=_UPDATE_EXAMPLES.get(name, ()),
        )
        for name in UPDATE_FIELDS
    ),
)

GUARDS: Final = Section(
    "guards",
    (
        Key(
            "keep_rented_within",
            Days(0, 3650),
            "an unrent rule keeps numbers rented fewer days ago than this (default 30d; 0d: off)",
            attr="rented_within_days",
            examples=("30d", "0d"),
        ),
        Key(
            "keep_tendlc_campaign",
            Boolean(),
            "an unrent rule keeps numbers linked to a 10DLC campaign (default true)",
            attr="tendlc_campaign",
            examples=("false",),
        ),
    ),
)

RULE: Final = Section(
    "rule",
    (
        Key(
            "name",
            Word("rule name", RULE_NAME_PATTERN, _NAME_SHAPE),
            "unique name",
            required=True,
            examples=("support-to-ivr",),
        ),
        Key("select", SELECT, "which numbers the rule applies to", required=True),
        Key("update", UPDATE, "the desired values; only differing fields are sent"),
        Key(
            "unrent",
            Flag("give the selected numbers back to Plivo"),
            "`true` to unrent",
            examples=("true",),
        ),
        Key("guards", GUARDS, "what an unrent rule keeps, whatever it selects"),
    ),
)
ACTIONS: Final = ("update", "unrent")

_LIMIT_EXAMPLES: Final[dict[str, tuple[str, ...]]] = {
    "rate": ("50",),
    "concurrency": ("8",),
    "max_changes": ("500",),
    "max_failures": ("10", '"5%"'),
    "max_retries": ("3",),
}
LIMITS: Final = Section(
    "limits",
    tuple(
        Key(spec.name, LimitValue(spec), spec.doc, examples=_LIMIT_EXAMPLES.get(spec.name, ()))
        for spec in limits.SPECS
    ),
)

PLAN: Final = Section(
    "plan",
    (
        Key(
            "version",
            Version(SUPPORTED_VERSIONS),
            "plan format version",
            required=True,
            examples=("1",),
        ),
        Key("name", Text(), "a name for the plan", examples=("reassign-support-to-ivr",)),
        Key(
            "description",
            Text(),
            "what the plan is for",
            examples=('"Point the Support numbers at the new IVR"',),
        ),
        Key("exclude", _EXCLUDE, "numbers no rule may touch", examples=('["14155550100"]',)),
        Key("rules", ListOf(RULE, unique="name"), "the rules, one or more", required=True),
        Key("limits", LIMITS, "run limits; command-line flags override them"),
    ),
    # As in docker-compose: a place for YAML anchors (`x-common: &common {...}`).
    free_prefix="x-",
)
