"""The vocabulary every stage shares: a rented number as bulkops sees it, and the update fields.

Plivo's objects carry ~30 keys; bulkops keeps the ones selectors and diffs need, in a slotted
record, so that an inventory of 300k numbers stays small in memory.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

NUMBER_PATTERN: Final = re.compile(r"[0-9]{8,15}")
ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_\-]{1,64}")
SUBACCOUNT_PATTERN: Final = re.compile(r"SA[A-Z0-9]{18}")

NUMBER_TYPES: Final = ("local", "mobile", "fixed", "national", "tollfree")
SERVICES: Final = ("voice", "sms", "mms")
TENDLC_STATUSES: Final = ("UNREGISTERED", "PROCESSING", "COMPLETED")
TOLL_FREE_VERIFICATIONS: Final = ("UNVERIFIED", "PENDING_VERIFICATION", "VERIFIED")
ON_OFF: Final = ("enabled", "disabled")
# Plivo keeps call and message records for 90 days, and a call query spans at most 30 of them.
HISTORY_DAYS: Final = 90
CALL_WINDOW_DAYS: Final = 30
CALLBACK_METHODS: Final = ("GET", "POST")

# Every argument Plivo's "Update a number" accepts, in the order diffs show them.
UPDATE_FIELDS: Final = (
    "app_id",
    "subaccount",
    "alias",
    "compliance_id",
    "cnam_lookup",
    "cnam",
    "cnam_callback_url",
    "cnam_callback_method",
    "caller_reputation",
    "profile_uuid",
    "caller_reputation_callback_url",
    "caller_reputation_callback_method",
)
# Plivo never returns these on a GET, so their current value is unknowable: they ride along with an
# update that changes something observable, and never make a task on their own.
WRITE_ONLY_FIELDS: Final = frozenset(
    {
        "cnam_callback_url",
        "cnam_callback_method",
        "caller_reputation_callback_url",
        "caller_reputation_callback_method",
    }
)
_REPUTATION_ON: Final = frozenset({"PENDING", "ACTIVE"})


class InvalidNumberError(ValueError):
    """A phone number that must not go into a URL path."""


def check_number(value: object) -> str:
    """Return `value` if it is a string of 8-15 digits, else raise InvalidNumberError."""
    if not isinstance(value, str) or not NUMBER_PATTERN.fullmatch(value):
        raise InvalidNumberError(f"not a phone number (8-15 digits, no '+'): {value!r}")
    return value


def app_id_from_uri(uri: str | None) -> str | None:
    """`/v1/Account/MA…/Application/2998…/` → `2998…`; None stays None.

    The id is interned: an account links a handful of applications to all of its numbers.
    """
    if not uri:
        return None
    last = uri.rstrip("/").rpartition("/")[2]
    return sys.intern(last) if last else None


@dataclass(frozen=True, slots=True)
class NumberRecord:
    """One rented number, reduced to what selection and diffs use."""

    number: str
    number_type: str
    alias: str | None = None
    app_id: str | None = None
    subaccount: str | None = None
    voice_enabled: bool = False
    sms_enabled: bool = False
    mms_enabled: bool = False
    renewal_date: str | None = None  # ISO YYYY-MM-DD
    cnam_lookup: str | None = None
    cnam: str | None = None
    tendlc_campaign_id: str | None = None
    tendlc_registration_status: str | None = None
    toll_free_sms_verification: str | None = None
    compliance_id: str | None = None
    profile_uuid: str | None = None
    caller_reputation_status: str | None = None
    region: str | None = None
    added_on: str | None = None  # ISO YYYY-MM-DD, when it was rented
    monthly_rental_rate: str | None = None  # USD, as Plivo writes it ("0.80000")

    @classmethod
    def from_api(cls, obj: Mapping[str, Any]) -> NumberRecord:
        """Build from a Plivo AccountPhoneNumber object (list item or GET body)."""
        return _built(
            str(obj["number"]),
            str(obj.get("number_type") or ""),
            obj.get("alias"),
            app_id_from_uri(obj.get("application")),
            obj.get("sub_account"),
            bool(obj.get("voice_enabled")),
            bool(obj.get("sms_enabled")),
            bool(obj.get("mms_enabled")),
            obj.get("renewal_date"),
            obj.get("cnam_lookup"),
            obj.get("cnam"),
            obj.get("tendlc_campaign_id"),
            obj.get("tendlc_registration_status"),
            obj.get("toll_free_sms_verification"),
            obj.get("compliance_application_id"),
            obj.get("profile_uuid"),
            obj.get("caller_reputation_status"),
            obj.get("region"),
            obj.get("added_on"),
            obj.get("monthly_rental_rate"),
        )

    def observed(self, field: str) -> str | None:
        """The current value of update field `field`, in the vocabulary of the update body.

        Write-only fields read as None (unknown). An empty alias reads as None, since Plivo
        shows a cleared alias both ways.
        """
        if field in WRITE_ONLY_FIELDS:
            return None
        if field == "caller_reputation":
            return "enabled" if self.caller_reputation_status in _REPUTATION_ON else "disabled"
        value: str | None = getattr(self, field)
        return value or None

    @property
    def services(self) -> frozenset[str]:
        enabled = (self.voice_enabled, self.sms_enabled, self.mms_enabled)
        return frozenset(name for name, on in zip(SERVICES, enabled, strict=True) if on)


# Every listed number becomes a record: a frozen dataclass's __init__ writes each field through
# object.__setattr__, 60 % slower than the slots' own descriptors, which is what this does.
_WRITERS: Final = tuple(getattr(NumberRecord, f.name).__set__ for f in fields(NumberRecord))


def _built(*values: Any) -> NumberRecord:
    """A NumberRecord of all its fields, in declaration order (what NumberRecord(*values) is)."""
    record = object.__new__(NumberRecord)
    for write, value in zip(_WRITERS, values, strict=True):
        write(record, value)
    return record
