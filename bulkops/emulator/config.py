"""How an emulator is set up: inventory size and seed, credentials, rate limits, injected faults."""

from __future__ import annotations

import datetime
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Final, Literal

OutageMode = Literal["drop", "503"]
OUTAGE_MODES: Final = ("drop", "503")

MAIN_ACCOUNT_PATTERN: Final = re.compile(r"MA[A-Z0-9]{18}")
_ID_ALPHABET: Final = string.ascii_uppercase + string.digits


def generate_auth_id() -> str:
    """A fresh main-account auth_id in the shape the Plivo SDK insists on (MA + 18)."""
    return "MA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(18))


def generate_auth_token() -> str:
    return secrets.token_urlsafe(30)


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a fraction between 0 and 1, got {value!r}")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `requests` accepted requests in any window of `period` seconds."""

    requests: int = 300
    period: float = 5.0

    def __post_init__(self) -> None:
        if self.requests < 1:
            raise ValueError(f"rate limit requests must be at least 1, got {self.requests!r}")
        if not self.period > 0:
            raise ValueError(f"rate limit period must be positive, got {self.period!r}")


def _check_seconds(name: str, value: float | None, *, zero: bool = False) -> None:
    if value is None:
        return
    ok = value >= 0 if zero else value > 0  # also refuses NaN
    if not ok or value == float("inf"):
        raise ValueError(f"{name} must be a {'' if zero else 'positive '}number of seconds")


@dataclass(frozen=True, slots=True)
class Faults:
    """Misbehaviour to inject, each rate a fraction of requests drawn from a seeded RNG.

    `drop_rate` closes the connection before the request is applied; `drop_after_rate` applies
    it and then closes, so the client cannot know the outcome.

    `short_page_offset`: the Number list page at that offset comes back with half its records
    (rounded down; meta.total_count unchanged) the first `short_page_times` times it is served
    (None: every time). `outage_at`: that many seconds after start-up the server stops answering
    for `outage_seconds` (None: until `Emulator.end_outage()`), dropping every non-admin request
    or answering it 503, as `outage_mode` says.
    """

    error_rate: float = 0.0
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0
    throttle_rate: float = 0.0
    latency: float = 0.0
    latency_jitter: float = 0.0  # each request's latency drawn from latency x (1 ± this)
    retry_after: float | None = None
    short_page_offset: int | None = None
    short_page_times: int | None = 1
    outage_at: float | None = None
    outage_seconds: float | None = None
    outage_mode: OutageMode = "drop"

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate", "drop_after_rate", "throttle_rate"):
            _check_rate(name, getattr(self, name))
        if not self.latency >= 0:  # also refuses NaN
            raise ValueError(f"latency must not be negative, got {self.latency!r}")
        _check_rate("latency_jitter", self.latency_jitter)
        if self.retry_after is not None and not self.retry_after >= 0:
            raise ValueError(f"retry_after must not be negative, got {self.retry_after!r}")
        if self.short_page_offset is not None and self.short_page_offset < 0:
            raise ValueError(f"short_page_offset must be 0 or more, got {self.short_page_offset}")
        if self.short_page_times is not None and self.short_page_times < 1:
            raise ValueError(
                f"short_page_times must be 1 or more (None: always), got {self.short_page_times}"
            )
        _check_seconds("outage_at", self.outage_at, zero=True)
        _check_seconds("outage_seconds", self.outage_seconds)
        if self.outage_mode not in OUTAGE_MODES:
            raise ValueError(f"outage_mode must be drop or 503, got {self.outage_mode!r}")

    @property
    def enabled(self) -> bool:
        """True when some request may be faulted (latency alone does not count)."""
        rates = (self.error_rate, self.drop_rate, self.drop_after_rate, self.throttle_rate)
        return any(rate > 0 for rate in rates)


def message_list_limit() -> RateLimit:
    """Plivo's documented limit of the Message list API: 20 requests per minute."""
    return RateLimit(requests=20, period=60.0)


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Everything that decides an emulator's behaviour.

    (numbers, seed, today) fix the inventory and the seeded traffic history; `today` also pins
    the clock (see `clock`). `rate_limit` is the account's budget (Plivo: 300 per 5 s), and
    `message_rate_limit` the Message list's own (Plivo: 20 per minute), which those requests
    spend on top of the account's. `traffic=False` leaves every number without seeded history.
    """

    numbers: int = 500
    seed: int = 1
    today: datetime.date | None = None
    auth_id: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    message_rate_limit: RateLimit | None = field(default_factory=message_list_limit)
    faults: Faults = field(default_factory=Faults)
    admin: bool = False
    traffic: bool = True

    def __post_init__(self) -> None:
        if self.numbers < 0:
            raise ValueError(f"numbers must not be negative, got {self.numbers!r}")
        if self.auth_id is not None and not MAIN_ACCOUNT_PATTERN.fullmatch(self.auth_id):
            raise ValueError(
                f"auth_id must be 'MA' and 18 capital letters or digits, got {self.auth_id!r}"
            )
        if self.auth_token is not None and not self.auth_token:
            raise ValueError("auth_token must not be empty (leave it None to generate one)")
