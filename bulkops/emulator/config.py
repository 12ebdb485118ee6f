"""How an emulator is set up: inventory size and seed, credentials, rate limit, injected faults."""

from __future__ import annotations

import datetime
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Final

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


@dataclass(frozen=True, slots=True)
class Faults:
    """Misbehaviour to inject, each rate a fraction of requests drawn from a seeded RNG.

    `drop_rate` closes the connection before the request is applied; `drop_after_rate` applies
    it and then closes, so the client cannot know the outcome.
    """

    error_rate: float = 0.0
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0
    throttle_rate: float = 0.0
    latency: float = 0.0
    retry_after: float | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate", "drop_after_rate", "throttle_rate"):
            _check_rate(name, getattr(self, name))
        if not self.latency >= 0:  # also refuses NaN
            raise ValueError(f"latency must not be negative, got {self.latency!r}")
        if self.retry_after is not None and not self.retry_after >= 0:
            raise ValueError(f"retry_after must not be negative, got {self.retry_after!r}")

    @property
    def enabled(self) -> bool:
        """True when some request may be faulted (latency alone does not count)."""
        rates = (self.error_rate, self.drop_rate, self.drop_after_rate, self.throttle_rate)
        return any(rate > 0 for rate in rates)


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Everything that decides an emulator's behaviour; (numbers, seed, today) fix the inventory."""

    numbers: int = 500
    seed: int = 1
    today: datetime.date | None = None
    auth_id: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    faults: Faults = field(default_factory=Faults)
    admin: bool = False

    def __post_init__(self) -> None:
        if self.numbers < 0:
            raise ValueError(f"numbers must not be negative, got {self.numbers!r}")
        if self.auth_id is not None and not MAIN_ACCOUNT_PATTERN.fullmatch(self.auth_id):
            raise ValueError(
                f"auth_id must be 'MA' and 18 capital letters or digits, got {self.auth_id!r}"
            )
        if self.auth_token is not None and not self.auth_token:
            raise ValueError("auth_token must not be empty (leave it None to generate one)")
