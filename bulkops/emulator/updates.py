"""Validate a Number update body and work out what it changes, all or nothing.

A null value is skipped, not refused: Plivo answered "changed" to legacy plivo-node's
`app_id: null` and changed nothing (plivo-node issue #63).

`compliance_application_id` is taken as another spelling of `compliance_id`: the current docs
say `compliance_id`, the 2023 docs and Plivo's own SDKs say `compliance_application_id`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bulkops.emulator.catalog import APPLICATION_IDS, SUBACCOUNT_NAMES, application_uri
from bulkops.emulator.errors import bad_request

UPDATE_KEYS: Final = (
    "app_id",
    "subaccount",
    "alias",
    "compliance_id",
    "compliance_application_id",
    "cnam_lookup",
    "cnam",
    "cnam_callback_url",
    "cnam_callback_method",
    "caller_reputation",
    "profile_uuid",
    "caller_reputation_callback_url",
    "caller_reputation_callback_method",
)
# Other spellings Plivo accepts for a key, and the key they stand for.
SYNONYMS: Final = {"compliance_application_id": "compliance_id"}
WRITE_ONLY_KEYS: Final = frozenset(
    {
        "cnam_callback_url",
        "cnam_callback_method",
        "caller_reputation_callback_url",
        "caller_reputation_callback_method",
    }
)
_REPUTATION_ON: Final = frozenset({"PENDING", "ACTIVE"})
_URL: Final = re.compile(r"https?://\S+")


@dataclass(slots=True)
class Change:
    """What an accepted update does: served fields, write-only fields, and the fields as sent."""

    served: dict[str, Any] = field(default_factory=dict)
    write_only: dict[str, str] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _us_voice_only(name: str, obj: Mapping[str, Any]) -> None:
    if obj["country"] != "United States" or obj["number_type"] not in ("local", "tollfree"):
        raise bad_request(f"{name} is available for US local and toll-free numbers only")


def _app_id(value: str, obj: Mapping[str, Any], auth_id: str) -> dict[str, Any]:
    if value == "":
        return {"application": None}
    if value not in APPLICATION_IDS:
        raise bad_request(f"app_id {value!r} is not an application of this account")
    return {"application": application_uri(auth_id, value)}


def _subaccount(value: str, obj: Mapping[str, Any], auth_id: str) -> dict[str, Any]:
    if value not in SUBACCOUNT_NAMES:
        # Plivo documents main → subaccount only; moving back ("") is not documented anywhere.
        raise bad_request(f"subaccount {value!r} is not a subaccount of this account")
    return {"sub_account": value, "sub_account_name": SUBACCOUNT_NAMES[value]}


def _cnam_lookup(value: str, obj: Mapping[str, Any], auth_id: str) -> dict[str, Any]:
    _us_voice_only("cnam_lookup", obj)
    return {"cnam_lookup": _one_of("cnam_lookup", value, ("enabled", "disabled"))}


def _copy_to(target: str) -> Callable[[str, Mapping[str, Any], str], dict[str, Any]]:
    return lambda value, obj, auth_id: {target: value or None}


_SERVED: Final[dict[str, Callable[[str, Mapping[str, Any], str], dict[str, Any]]]] = {
    "app_id": _app_id,
    "subaccount": _subaccount,
    "alias": lambda value, obj, auth_id: {"alias": value},
    "compliance_id": _copy_to("compliance_application_id"),
    "compliance_application_id": _copy_to("compliance_application_id"),
    "cnam_lookup": _cnam_lookup,
    "cnam": _copy_to("cnam"),
    "profile_uuid": _copy_to("profile_uuid"),
}


def _write_only(name: str, value: str) -> str:
    if name.endswith("_method"):
        return _one_of(name, value, ("GET", "POST"))
    if not _URL.fullmatch(value):
        raise bad_request(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _reputation(sent: Mapping[str, str], obj: Mapping[str, Any], change: Change) -> None:
    """Enabling caller_reputation needs a business profile in the same request.

    Plivo's docs: "When set to enabled, profile_uuid is required". A profile already on the
    number does not count: the request itself must carry a non-empty profile_uuid.
    """
    profile = change.served.get("profile_uuid", obj["profile_uuid"])
    status = obj["caller_reputation_status"]
    wanted = sent.get("caller_reputation")
    if wanted is not None:
        _us_voice_only("caller_reputation", obj)
        _one_of("caller_reputation", wanted, ("enabled", "disabled"))
        if wanted == "enabled" and not sent.get("profile_uuid"):
            raise bad_request(
                "profile_uuid is required when caller_reputation is enabled"
                " (send it in the same request)"
            )
        if wanted == "disabled":
            change.served["caller_reputation_status"] = None
        elif status not in _REPUTATION_ON or profile != obj["profile_uuid"]:
            change.served["caller_reputation_status"] = "PENDING"
    elif status in _REPUTATION_ON and "profile_uuid" in change.served:
        if not profile:
            raise bad_request("cannot clear profile_uuid while caller_reputation is enabled")
        if profile != obj["profile_uuid"]:
            # Plivo re-assigns the number to the new business profile, which takes a while.
            change.served["caller_reputation_status"] = "PENDING"


def plan_update(obj: Mapping[str, Any], body: Mapping[str, object], auth_id: str) -> Change:
    """The change `body` makes to number `obj`, or a 400 ApiError naming the first problem."""
    sent = _sent_fields(body)
    change = Change(sent=sent)
    for name, value in sent.items():
        if name in WRITE_ONLY_KEYS:
            change.write_only[name] = _write_only(name, value)
        elif name in _SERVED:
            change.served.update(_SERVED[name](value, obj, auth_id))
    _reputation(sent, obj, change)
    return change


def _sent_fields(body: Mapping[str, object]) -> dict[str, str]:
    # The SDK adds the number itself to every update body; Plivo ignores it.
    sent = {k: v for k, v in body.items() if k != "number" and v is not None}
    unknown = sorted(set(sent) - set(UPDATE_KEYS))
    if unknown:
        raise bad_request(
            f"unknown field(s) {', '.join(unknown)}; a number accepts {', '.join(UPDATE_KEYS)}"
        )
    result: dict[str, str] = {}
    for name, value in sent.items():
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string, got {value!r}")
        result[name] = value
    both = (result.get("compliance_id"), result.get("compliance_application_id"))
    if None not in both and both[0] != both[1]:
        raise bad_request(
            "compliance_id and compliance_application_id are the same field and disagree;"
            " give one of them"
        )
    return result
