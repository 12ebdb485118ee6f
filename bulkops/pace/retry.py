"""When to try a request again, and how long to wait first.

The decisions are pure (`RetryPolicy.decide`), so they are tested without a network; `call`
applies them around one request.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
import structlog

from bulkops.client import (
    AuthenticationError,
    PlivoError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bulkops.limits import DEFAULT_MAX_RETRIES
from bulkops.pace.throttle import Throttle

T = TypeVar("T")
log = structlog.get_logger("bulkops.retry")


class Verdict(enum.Enum):
    RETRY = "retry"  # wait (backoff) and send again
    THROTTLED = "throttled"  # pause every worker, then send again
    GIVE_UP = "give_up"  # this request failed for good; other requests go on
    FATAL = "fatal"  # nothing else can succeed either (bad credentials): stop the run


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    delay: float = 0.0


@dataclass
class RetryPolicy:
    """Capped exponential backoff with full jitter; 429s have their own, larger allowance."""

    max_attempts: int = DEFAULT_MAX_RETRIES + 1  # for 5xx, dropped connections and timeouts
    max_throttled: int = 30  # 429s one request may meet before it gives up
    base_delay: float = 0.25
    # A 429 without Retry-After usually means one request too many in the window: a short
    # first pause loses little, and repeated 429s double it (and slow the throttle down).
    throttle_base_delay: float = 0.1
    max_delay: float = 20.0
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, failures: int, base: float | None = None) -> float:
        start = self.base_delay if base is None else base
        ceiling = min(self.max_delay, start * 2 ** max(0, failures - 1))
        return self.rng.uniform(ceiling / 2, ceiling)

    def decide(self, error: PlivoError, failures: int, throttled: int) -> Decision:
        """What to do after a request failed with `error`.

        `failures` counts this request's retryable failures so far (this one included), and
        `throttled` its 429s so far (this one included).
        """
        if isinstance(error, AuthenticationError):
            return Decision(Verdict.FATAL)
        if isinstance(error, RateLimitedError):
            if throttled > self.max_throttled:
                return Decision(Verdict.GIVE_UP)
            delay = (
                error.retry_after
                if error.retry_after is not None
                else self.backoff(throttled, self.throttle_base_delay)
            )
            return Decision(Verdict.THROTTLED, min(delay, self.max_delay * 3))
        if isinstance(error, ServerError | TransportError):
            if failures >= self.max_attempts:
                return Decision(Verdict.GIVE_UP)
            return Decision(Verdict.RETRY, self.backoff(failures))
        return Decision(Verdict.GIVE_UP)


@dataclass
class Attempts:
    """What happened to one logical request across its tries."""

    sent: int = 0
    failures: int = 0
    throttled: int = 0
    outcome_unknown: bool = False  # a try may have reached Plivo without our seeing the answer


async def call(
    op: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    throttle: Throttle,
    attempts: Attempts | None = None,
) -> T:
    """Run `op` until it succeeds or the policy gives up; re-raise the last error then."""
    attempts = attempts if attempts is not None else Attempts()
    while True:
        attempts.sent += 1
        try:
            return await op()
        except PlivoError as error:
            decision = _record(error, attempts, policy)
            if decision.verdict is Verdict.THROTTLED:
                log.info(
                    "rate_limited",
                    request=f"{error.method} {error.path}",
                    pause=round(decision.delay, 3),
                )
                throttle.pause(decision.delay)
            elif decision.verdict is Verdict.RETRY:
                log.info(
                    "retrying",
                    request=f"{error.method} {error.path}",
                    error=str(error),
                    attempt=attempts.sent,
                    delay=round(decision.delay, 3),
                )
                await anyio.sleep(decision.delay)
            else:
                raise


def _record(error: PlivoError, attempts: Attempts, policy: RetryPolicy) -> Decision:
    if isinstance(error, RateLimitedError):
        attempts.throttled += 1
    elif isinstance(error, ServerError | TransportError):
        attempts.failures += 1
        attempts.outcome_unknown = True
    return policy.decide(error, attempts.failures, attempts.throttled)
