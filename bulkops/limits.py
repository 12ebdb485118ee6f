"""Run limits and their defaults, described once.

The plan's `limits:` section, the saved-plan header, the command-line flags and `resume` all read
these descriptions (`SPECS`): what each limit means, the values it takes and its default. A value
that one of them accepts, every other one accepts too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Final

from bulkops.errors import ConfigError

# Plivo: 300 requests per 5 s per account, every API but "make a call" (docs: account limits).
PLIVO_REQUESTS: Final = 300
PLIVO_PERIOD: Final = 5.0
PLIVO_RATE: Final = PLIVO_REQUESTS / PLIVO_PERIOD
# 59/s with a burst of 3 stays at most 298 in any 5 s window, and so never meets a 429.
DEFAULT_RATE: Final = 59.0
MAX_RATE: Final = 10_000.0
# A ceiling: bulkops keeps rate x recent round trip (with headroom) in flight, up to this many.
# 64 carries Plivo's 60/s up to about 0.65 s per round trip (pace.inflight).
DEFAULT_CONCURRENCY: Final = 64
MAX_CONCURRENCY: Final = 512
DEFAULT_MAX_RETRIES: Final = 5
MAX_COUNT: Final = 1_000_000_000  # any count above is a typo

_PERCENT: Final = re.compile(r"([0-9]{1,3}(?:\.[0-9]+)?)%")
_COUNT_TEXT: Final = re.compile(r"[0-9]{1,10}")


class LimitError(ConfigError):
    """A limit value out of range; the message says which limit and what it takes."""


@dataclass(frozen=True, slots=True)
class FailureBudget:
    """`max_failures`: a count of failed tasks (`10`) or a share of the tasks to send (`5%`)."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, value: object) -> FailureBudget:
        """From a plan, a saved plan or a flag: 10, "10" or "5%"; ValueError otherwise."""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
            return cls(count=value)
        if isinstance(value, str):
            text = value.strip()
            if _COUNT_TEXT.fullmatch(text) and int(text) <= MAX_COUNT:
                return cls(count=int(text))
            share = _PERCENT.fullmatch(text)
            if share and 0 < float(share.group(1)) <= 100:
                return cls(percent=float(share.group(1)))
        raise ValueError(value)

    def allowed(self, total: int) -> int | None:
        """How many failures a run of `total` tasks may have before it stops starting new ones."""
        if self.count is not None:
            return self.count
        if self.percent is not None:
            return math.floor(total * self.percent / 100)
        return None

    def __str__(self) -> str:
        return str(self.count) if self.count is not None else f"{self.percent:g}%"


def _rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(value)
    try:
        rate = float(value)  # an int with thousands of digits (YAML reads 0xfff…) overflows
    except OverflowError:
        raise ValueError(value) from None
    if not (math.isfinite(rate) and 0 < rate <= MAX_RATE):
        raise ValueError(value)
    return rate


def _count(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(value)
        return value

    return parse


def _number_text(text: str) -> object:
    """A flag's text as the number it spells, for the parsers above (they refuse text)."""
    stripped = text.strip()
    for convert in (int, float):
        try:
            return convert(stripped)
        except ValueError:
            continue
    return stripped


@dataclass(frozen=True, slots=True)
class LimitSpec:
    """One limit: its key and flag, the values it takes, its default."""

    name: str
    expected: str  # "a whole number from 1 to 512": completes "must be …"
    doc: str
    parse: Callable[[object], Any]  # plan/JSON value → model value; ValueError if out of range
    default: Any = None
    hint: str | None = None
    metavar: str = "N"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value: object) -> Any:
        """The model value for `value`, or LimitError saying what this limit takes."""
        try:
            return self.parse(value)
        except ValueError:
            raise LimitError(
                f"{self.name} must be {self.expected}, got {value!r:.60}"
                + (f" ({self.hint})" if self.hint else "")
            ) from None

    def from_text(self, text: str) -> Any:
        """The model value for a command-line flag's text."""
        value = text.strip() if self.name == "max_failures" else _number_text(text)
        return self.check(value)


RATE: Final = LimitSpec(
    "rate",
    f"a number above 0 and at most {MAX_RATE:g}",
    "requests per second for every request of a run, listing included (at most: while round "
    "trips vary widely, a little less, so that jittered arrivals still fit the account's window)",
    _rate,
    default=DEFAULT_RATE,
    hint="requests per second",
    metavar="R",
)
CONCURRENCY: Final = LimitSpec(
    "concurrency",
    f"a whole number from 1 to {MAX_CONCURRENCY}",
    "the most requests in flight at once (below it, bulkops keeps as many in flight as the "
    "rate and the observed round trips need)",
    _count(1, MAX_CONCURRENCY),
    default=DEFAULT_CONCURRENCY,
    metavar="C",
)
MAX_CHANGES: Final = LimitSpec(
    "max_changes",
    f"a whole number from 0 to {MAX_COUNT}",
    "refuse a run that would change more numbers than this",
    _count(0, MAX_COUNT),
)
MAX_FAILURES: Final = LimitSpec(
    "max_failures",
    "a count or a percentage",
    "stop starting tasks once more than this many (or this share of the) tasks failed",
    FailureBudget.parse,
    hint='a count such as 10, or a share such as "5%" (above 0, at most 100)',
    metavar="N|P%",
)
MAX_RETRIES: Final = LimitSpec(
    "max_retries",
    "a whole number from 0 to 100",
    "retries of one request after a 5xx answer, a dropped connection or a timeout "
    "(429s are waited out, not counted)",
    _count(0, 100),
    default=DEFAULT_MAX_RETRIES,
)
SPECS: Final = (RATE, CONCURRENCY, MAX_CHANGES, MAX_FAILURES, MAX_RETRIES)
BY_NAME: Final = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits as written somewhere (a plan, flags, a run's settings); None: not said there."""

    rate: float | None = None
    concurrency: int | None = None
    max_changes: int | None = None
    max_failures: FailureBudget | None = None
    max_retries: int | None = None

    def overridden_by(self, other: Limits) -> Limits:
        """These limits with every value `other` states put in their place (flags over a plan)."""
        said = {f.name: getattr(other, f.name) for f in fields(other)}
        return replace(self, **{name: value for name, value in said.items() if value is not None})

    def value(self, name: str) -> Any:
        """The limit's value, or its default when nothing said it."""
        stated = getattr(self, name)
        return BY_NAME[name].default if stated is None else stated

    def to_json(self) -> dict[str, Any]:
        return {
            spec.name: None if (value := getattr(self, spec.name)) is None else _jsonable(value)
            for spec in SPECS
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Limits:
        """Read limits written by `to_json` (a saved plan, a run); LimitError for a bad value."""
        unknown = sorted(set(raw) - set(BY_NAME))
        if unknown:
            raise LimitError(f"unknown limit(s): {', '.join(unknown)}")
        return cls(
            **{
                name: None if value is None else BY_NAME[name].check(value)
                for name, value in raw.items()
            }
        )


def _jsonable(value: object) -> object:
    return str(value) if isinstance(value, FailureBudget) else value
