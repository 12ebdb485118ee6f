"""A seeded, realistic account inventory: mostly US locals, some toll-free, some UK/FR/DE/IN/AU.

Deterministic for (count, seed, today). Every draw comes from one `random.Random(seed)` through
`rng.random()` and pre-expanded weighted pools, which keeps 300k numbers to about a second.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypeVar

from bulkops.emulator.catalog import (
    APPLICATION_IDS,
    SUBACCOUNT_IDS,
    SUBACCOUNT_NAMES,
    application_uri,
)

T = TypeVar("T")
Services = tuple[bool, bool, bool]  # voice, sms, mms

_ALL: Final = (True, True, True)
_VOICE_SMS: Final = (True, True, False)
_VOICE: Final = (True, False, False)


@dataclass(frozen=True, slots=True)
class _Kind:
    """One family of numbers: where they live, how long they are, what they cost and can do."""

    number_type: str
    country: str
    places: tuple[tuple[str, str, str], ...]  # (digit prefix, city, region)
    suffix_digits: int
    services: tuple[Services, ...]  # weighted by repetition
    rental: str
    voice_rate: str
    us: bool = False


_KINDS: Final = (
    _Kind(
        "local",
        "United States",
        (
            ("1415", "San Francisco", "California"),
            ("1213", "Los Angeles", "California"),
            ("1212", "New York", "New York"),
            ("1646", "New York", "New York"),
            ("1512", "Austin", "Texas"),
            ("1303", "Denver", "Colorado"),
            ("1617", "Boston", "Massachusetts"),
            ("1312", "Chicago", "Illinois"),
            ("1206", "Seattle", "Washington"),
            ("1305", "Miami", "Florida"),
            ("1404", "Atlanta", "Georgia"),
        ),
        7,
        (_ALL,) * 3 + (_VOICE_SMS,) * 5 + (_VOICE,) * 2,
        "0.50000",
        "0.00850",
        us=True,
    ),
    _Kind(
        "tollfree",
        "United States",
        tuple((f"1{code}", "USA", "") for code in ("800", "833", "844", "855", "888")),
        7,
        (_VOICE_SMS,) * 7 + (_ALL,) + (_VOICE,) * 2,
        "1.00000",
        "0.02200",
        us=True,
    ),
    _Kind(
        "fixed",
        "United Kingdom",
        (("4420", "London", "London"), ("4429", "Cardiff", "Wales")),
        8,
        (_VOICE,),
        "0.80000",
        "0.00850",
    ),
    _Kind(
        "mobile",
        "United Kingdom",
        (("447", "", ""),),
        9,
        (_VOICE_SMS,),
        "1.20000",
        "0.00900",
    ),
    _Kind(
        "fixed", "France", (("331", "Paris", "Ile-de-France"),), 8, (_VOICE,), "1.00000", "0.00950"
    ),
    _Kind("mobile", "France", (("336", "", ""),), 8, (_VOICE_SMS,), "2.00000", "0.01000"),
    _Kind(
        "fixed",
        "Germany",
        (("4930", "Berlin", "Berlin"), ("4989", "Munich", "Bavaria")),
        7,
        (_VOICE,),
        "1.00000",
        "0.00950",
    ),
    _Kind(
        "national",
        "India",
        (("9180", "Bangalore", "Karnataka"),),
        8,
        (_VOICE,),
        "3.00000",
        "0.01200",
    ),
    _Kind("mobile", "Australia", (("614", "", ""),), 8, (_VOICE_SMS,), "6.00000", "0.01000"),
)
# Per 100 numbers: US local 74, toll-free 10, UK 3+3, FR 2+2, DE 3, IN 2, AU 1.
_KIND_POOL: Final = (
    _KINDS[0:1] * 74
    + _KINDS[1:2] * 10
    + tuple(
        kind
        for kind, weight in zip(_KINDS[2:], (3, 3, 2, 2, 3, 2, 1), strict=True)
        for _ in range(weight)
    )
)
_APP_POOL: Final = (
    (APPLICATION_IDS[0],) * 6
    + (APPLICATION_IDS[1],) * 4
    + (APPLICATION_IDS[2],) * 3
    + (APPLICATION_IDS[3],) * 2
    + (APPLICATION_IDS[4],)
    + (None,) * 4
)
_SUBACCOUNT_POOL: Final = (
    (None,) * 13 + (SUBACCOUNT_IDS[0],) * 3 + (SUBACCOUNT_IDS[1],) * 2 + SUBACCOUNT_IDS[2:]
)
_SHARED_ALIASES: Final = ("Main Line", "Support", "Sales", "Billing", "After Hours")
_CNAMS: Final = ("ACME CORP", "ACME SUPPORT", "ACME SALES", "ACME BILLING")
CAMPAIGN_IDS: Final = ("CAMP001", "CAMP002", "CAMP003", "CAMP004", "CAMP005", "CAMP006")
PROFILE_UUIDS: Final = (
    "201faedc-7df9-4840-9ab1-3997ce3f8cf4",
    "8a5b0c3e-51d2-4f6e-9d77-0c1e2f3a4b5c",
    "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
)
_REPUTATIONS: Final = (
    ("ACTIVE",) * 5 + ("PENDING",) * 2 + ("FAILED", "NOT_ENROLLED", "NOT_ENROLLED")
)
_TOLL_FREE: Final = ("VERIFIED",) * 6 + ("PENDING_VERIFICATION",) * 2 + ("UNVERIFIED",) * 2
# added_on: RECENT_SHARE of the numbers were rented in the last RECENT_DAYS days (0-29 days ago),
# the rest 31 days to ~7 years ago, so a "recently rented" guard has numbers to protect.
RECENT_DAYS: Final = 30
RECENT_SHARE: Final = 0.04
_OLDEST_DAYS: Final = 2500


class _Slot(NamedTuple):
    """One entry of the weighted pool: a kind at one place, with its template object."""

    kind: _Kind
    template: dict[str, Any]
    prefix: str
    city: str
    region: str
    low: int
    span: int


def _slots(auth_id: str) -> list[_Slot]:
    # Each kind's share of the pool cycles through its places, so places share it evenly.
    templates = {id(kind): _template(kind, auth_id) for kind in _KINDS}
    slots = []
    for position, kind in enumerate(_KIND_POOL):
        prefix, city, region = kind.places[position % len(kind.places)]
        low = 2 * 10 ** (kind.suffix_digits - 1)  # subscriber numbers start with 2-9
        span = 10**kind.suffix_digits - low
        region_text = _region(kind, region)
        slots.append(_Slot(kind, templates[id(kind)], prefix, city, region_text, low, span))
    return slots


def generate_inventory(
    count: int, seed: int, today: datetime.date, auth_id: str
) -> dict[str, dict[str, Any]]:
    """`count` unique numbers → Plivo AccountPhoneNumber objects, ready to serve, sorted by number.

    Objects are created in number order so that a listing scan walks memory in order: scanning
    300k dicts scattered across the heap is several times slower than scanning them in sequence.
    """
    rng = random.Random(seed)
    rand = rng.random
    renewals = [(today + datetime.timedelta(days=d)).isoformat() for d in range(-30, 61)]
    added, added_weights, first_renewal = _added_on_pool(today)
    app_uris: dict[str | None, str | None] = {
        a: application_uri(auth_id, a) for a in APPLICATION_IDS
    }
    app_uris[None] = None
    placed = _draw_numbers(rng.choices(_slots(auth_id), k=count), rand)
    # Whole columns at once: rng.choices is much cheaper than one call per number and field.
    columns = zip(
        sorted(placed),
        rng.choices(_APP_POOL, k=count),
        rng.choices(_SUBACCOUNT_POOL, k=count),
        rng.choices(renewals, k=count),
        # cum_weights still draws one rng.random() per number, as the unweighted draw did.
        rng.choices(added, cum_weights=added_weights, k=count),
        strict=True,
    )
    inventory: dict[str, dict[str, Any]] = {}
    for index, (number, app_id, subaccount, renewal, added_on) in enumerate(columns):
        slot = placed[number]
        obj = slot.template.copy()
        obj["number"] = number
        obj["resource_uri"] = f"/v1/Account/{auth_id}/Number/{number}/"
        obj["city"] = slot.city
        obj["region"] = slot.region
        obj["alias"] = _alias(index, slot.city, rand)
        obj["application"] = app_uris[app_id]
        obj["sub_account"] = subaccount
        obj["sub_account_name"] = SUBACCOUNT_NAMES[subaccount] if subaccount else None
        # A number rented days ago is first billed a month after it was added.
        obj["renewal_date"] = first_renewal.get(added_on, renewal)
        obj["added_on"] = added_on
        _vary(obj, slot.kind, rand)
        inventory[number] = obj
    return inventory


def _added_on_pool(today: datetime.date) -> tuple[list[str], list[float], dict[str, str]]:
    """added_on dates, their cumulative weights, and the first renewal of the recent ones."""
    recent = [today - datetime.timedelta(days=d) for d in range(RECENT_DAYS)]
    older = [today - datetime.timedelta(days=d) for d in range(RECENT_DAYS + 1, _OLDEST_DAYS)]
    weights = [RECENT_SHARE / len(recent)] * len(recent)
    weights += [(1 - RECENT_SHARE) / len(older)] * len(older)
    first_renewal = {
        day.isoformat(): (day + datetime.timedelta(days=RECENT_DAYS)).isoformat() for day in recent
    }
    dates = [day.isoformat() for day in recent + older]
    return dates, list(itertools.accumulate(weights)), first_renewal


def _draw_numbers(slots: list[_Slot], rand: Callable[[], float]) -> dict[str, _Slot]:
    placed: dict[str, _Slot] = {}
    for slot in slots:
        while True:
            number = slot.prefix + str(slot.low + int(rand() * slot.span))
            if number not in placed:
                break
        placed[number] = slot
    return placed


def _vary(obj: dict[str, Any], kind: _Kind, rand: Callable[[], float]) -> None:
    services = kind.services
    obj["voice_enabled"], obj["sms_enabled"], obj["mms_enabled"] = services[
        int(rand() * len(services))
    ]
    if rand() >= 0.98:
        obj["active"] = False
    if rand() >= 0.97:
        obj["carrier"] = "Bandwidth"
    if kind.us:
        _us_features(obj, kind, rand)
    else:
        _compliance(obj, rand)


def _pick(pool: Sequence[T], rand: Callable[[], float]) -> T:
    return pool[int(rand() * len(pool))]


def _region(kind: _Kind, region: str) -> str:
    # Plivo writes "California, UNITED STATES": a state or city, then the country in capitals.
    country = kind.country.upper()
    return f"{region}, {country}" if region else country


def _alias(index: int, city: str, rand: Callable[[], float]) -> str | None:
    roll = rand()
    if roll < 0.35:
        return None
    if roll < 0.55:
        return ""  # Plivo shows a cleared alias as "" and a never-set one as null
    if roll < 0.80:
        return _pick(_SHARED_ALIASES, rand)
    return f"{city} Store {index + 1}" if city and city != "USA" else f"Line {index + 1}"


def _template(kind: _Kind, auth_id: str) -> dict[str, Any]:
    """Every field, with this kind's constants; per-number fields are filled in afterwards."""
    return {
        "number": "",
        "alias": None,
        "sub_account": None,
        "sub_account_name": None,
        "added_on": "",
        "application": None,
        "carrier": "Plivo",
        "region": "",
        "city": "",
        "country": kind.country,
        "number_type": kind.number_type,
        "monthly_rental_rate": kind.rental,
        "renewal_date": "",
        "active": True,
        "voice_enabled": False,
        "sms_enabled": False,
        "mms_enabled": False,
        "voice_rate": kind.voice_rate,
        "sms_rate": "0.00000",
        "mms_rate": "0.00000",
        "cnam_lookup": None,
        "cnam": None,
        "tendlc_campaign_id": None,
        "tendlc_registration_status": None,
        "toll_free_sms_verification": None,
        "toll_free_sms_verification_id": None,
        "toll_free_sms_verification_order_status": None,
        "profile_uuid": None,
        "caller_reputation_status": None,
        "compliance_application_id": None,
        "compliance_status": None,
        "description": None,
        "plivo_number": True,
        "resource_uri": "",
    }


def _us_features(obj: dict[str, Any], kind: _Kind, rand: Callable[[], float]) -> None:
    obj["cnam_lookup"] = "enabled" if rand() < 0.4 else "disabled"
    if rand() < 0.25:
        obj["cnam"] = _pick(_CNAMS, rand)
    if rand() < 0.15:
        obj["profile_uuid"] = _pick(PROFILE_UUIDS, rand)
        obj["caller_reputation_status"] = _pick(_REPUTATIONS, rand)
    if kind.number_type == "tollfree":
        if not obj["sms_enabled"]:
            return  # verification is about SMS from toll-free numbers
        status = _pick(_TOLL_FREE, rand)
        obj["toll_free_sms_verification"] = status
        if status != "UNVERIFIED":
            obj["toll_free_sms_verification_id"] = _uuid(rand)
    elif obj["sms_enabled"] and rand() >= 0.25:
        obj["tendlc_campaign_id"] = _pick(CAMPAIGN_IDS, rand)
        obj["tendlc_registration_status"] = "PROCESSING" if rand() < 0.2 else "COMPLETED"
    else:
        obj["tendlc_registration_status"] = "UNREGISTERED"


def _compliance(obj: dict[str, Any], rand: Callable[[], float]) -> None:
    # Most countries outside the US want regulatory documents before a number goes live.
    if rand() < 0.8:
        obj["compliance_application_id"] = str(10**16 + int(rand() * 9 * 10**16))
        obj["compliance_status"] = "accepted" if rand() < 0.85 else "submitted"


def _uuid(rand: Callable[[], float]) -> str:
    digits = "".join(f"{int(rand() * 0x100000000):08x}" for _ in range(4))
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-a{digits[17:20]}-{digits[20:]}"
