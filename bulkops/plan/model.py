"""The validated Plan: what the loader produces and the selection and planner stages consume.

Every value here has already been checked: numbers are 8-15 digit strings, enums are in range,
dates parse. Later stages trust it and never see raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final, Literal

from bulkops.limits import Limits
from bulkops.numbers import SERVICES

# The word a plan writes for "no subaccount" (main account) or "no application linked".
NONE: Final = "none"

DateOp = Literal["lt", "lte", "gt", "gte", "eq"]


@dataclass(frozen=True, slots=True)
class DateCondition:
    """`renewal_date: {lt: "+7d"}`: an operator and an ISO date or a day offset from today."""

    op: DateOp
    value: str  # "2026-12-31" or "+7d" / "-30d", as written

    def resolve(self, today: date) -> date:
        if self.value[0] in "+-":
            return today + timedelta(days=int(self.value[:-1]))
        return date.fromisoformat(self.value)


@dataclass(frozen=True, slots=True)
class Usage:
    """`unused_for: 60d`: no call and no message, in or out, in the last `days` days.

    `services` narrows what counts as use: "voice" (calls), "sms", "mms" (messages).
    """

    days: int
    services: tuple[str, ...] = SERVICES

    @property
    def calls(self) -> bool:
        return "voice" in self.services

    @property
    def message_types(self) -> tuple[str, ...]:
        return tuple(service for service in self.services if service != "voice")


@dataclass(frozen=True, slots=True)
class Selector:
    """Every condition must hold; None (or empty) means "any"."""

    types: tuple[str, ...] = ()  # any of these number types
    services: tuple[str, ...] = ()  # all of these enabled
    number_startswith: str | None = None
    subaccount: str | None = None  # an SA… id, or NONE for the main account
    alias: str | None = None  # exact
    application: str | None = None  # an app id, or NONE for no application linked
    tendlc_campaign_id: str | None = None
    tendlc_registration_status: str | None = None  # UNREGISTERED | PROCESSING | COMPLETED
    toll_free_sms_verification: str | None = None  # UNVERIFIED | PENDING_VERIFICATION | VERIFIED
    cnam_lookup: str | None = None  # enabled | disabled
    renewal_date: tuple[DateCondition, ...] = ()  # all must hold
    numbers: tuple[str, ...] | None = None  # only these, when given
    exclude: frozenset[str] = frozenset()  # never these
    unused_for: Usage | None = None  # proven from Plivo's call and message records


@dataclass(frozen=True, slots=True)
class Update:
    """Desired values, keyed by Number API update argument; alias and cnam may be templates."""

    fields: tuple[tuple[str, str], ...]  # (field, value or template), in UPDATE_FIELDS order

    def as_dict(self) -> dict[str, str]:
        return dict(self.fields)


@dataclass(frozen=True, slots=True)
class Unrent:
    """Give the number back to Plivo. Cannot be undone."""


Action = Update | Unrent


@dataclass(frozen=True, slots=True)
class Guards:
    """What an unrent rule keeps whatever it selects (each can be turned off explicitly)."""

    rented_within_days: int = 30  # keep numbers rented fewer days ago than this; 0: off
    tendlc_campaign: bool = True  # keep numbers linked to a 10DLC campaign


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    select: Selector
    action: Action
    guards: Guards = field(default_factory=Guards)


@dataclass(frozen=True, slots=True)
class Plan:
    version: int
    rules: tuple[Rule, ...]
    name: str | None = None
    description: str | None = None
    limits: Limits = field(default_factory=Limits)
    exclude: frozenset[str] = frozenset()  # protected everywhere, whatever a rule selects
    source: Path | None = None
