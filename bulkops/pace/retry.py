"""When to try a request again, and how long to wait first.

The decisions are pure (`RetryPolicy.decide`), so they are tested without a network; `call`
applies them around one request.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import anyio

from bulkops import logs
from bulkops.client import (
    AuthenticationError,
    PlivoError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bulkops.limits import DEFAULT_MAX_RETRIES
from bulkops.pace.breaker import Breaker

T = TypeVar("T")
log = logs.get_logger("bulkops.retry")


class Pausable(Protocol):
    """What a 429 pauses: the account's Throttle, or the Message list's own window."""

    def pause(self, seconds: float) -> None: ...


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
    max_throttled_wait: float = 120.0  # seconds one request may spend waiting out 429s
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

    def decide(
        self, error: PlivoError, failures: int, throttled: int, waited: float = 0.0
    ) -> Decision:
        """What to do after a request failed with `error`.

        `failures` counts this request's retryable failures so far (this one included),
        `throttled` its 429s so far (this one included), and `waited` the seconds it already
        spent waiting out 429s.
        """
        if isinstance(error, AuthenticationError):
            return Decision(Verdict.FATAL)
        if isinstance(error, RateLimitedError):
            if throttled > self.max_throttled or waited >= self.max_throttled_wait:
                return Decision(Verdict.GIVE_UP)
            delay = (
                error.retry_after
                if error.retry_after is not None
                else self.backoff(throttled, self.throttle_base_delay)
            )
            left = self.max_throttled_wait - waited
            return Decision(Verdict.THROTTLED, min(delay, self.max_delay * 3, left))
        if isinstance(error, ServerError | TransportError):
            if failures >= self.max_attempts:
                return Decision(Verdict.GIVE_UP)
            return Decision(Verdict.RETRY, self.backoff(failures))
        return Decision(Verdict.GIVE_UP)


@dataclass
class Attempts:
    """What happened to one task's requests across their tries."""

    sent: int = 0
    requests: int = 0  # distinct requests (a GET then a DELETE: 2), each tried `sent` times in all
    failures: int = 0
    throttled: int = 0
    throttle_waited: float = 0.0
    outcome_unknown: bool = False  # a try may have reached Plivo without our seeing the answer


async def call(
    op: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    throttle: Pausable,
    attempts: Attempts | None = None,
    breaker: Breaker | None = None,
) -> T:
    """Run `op` until it succeeds or the policy gives up; re-raise the last error then.

    With a `breaker`, each try first waits for it (OutageError once Plivo has been gone too
    long), and failures while it is open do not use up the request's retries: they are the
    outage's, not the request's.
    """
    attempts = attempts if attempts is not None else Attempts()
    while True:
        if breaker is not None:
            await breaker.admit()
        attempts.sent += 1
        try:
            result = await op()
        except PlivoError as error:
            outage = _tell(breaker, error)
            decision = _record(error, attempts, policy, outage=outage)
            if decision.verdict is Verdict.THROTTLED:
                # Never pause past the moment the breaker would call it an outage.
                delay = decision.delay if breaker is None else min(decision.delay, _left(breaker))
                log.info(
                    "rate_limited", request=f"{error.method} {error.path}", pause=round(delay, 3)
                )
                attempts.throttle_waited += delay
                throttle.pause(delay)
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
        else:
            if breaker is not None:
                breaker.answered()
            return result


def _left(breaker: Breaker) -> float:
    return breaker.remaining() + 0.01  # just past the bound: the next admit() then says so


def _tell(breaker: Breaker | None, error: PlivoError) -> bool:
    """Report `error` to the breaker; whether Plivo is now considered gone."""
    if breaker is None:
        return False
    if isinstance(error, ServerError | TransportError):
        breaker.failed(f"{error.method} {error.path}")
    elif isinstance(error, RateLimitedError):
        breaker.throttled()
    else:
        breaker.answered()  # a 4xx is Plivo answering
    return breaker.is_open


def _record(
    error: PlivoError, attempts: Attempts, policy: RetryPolicy, *, outage: bool = False
) -> Decision:
    if isinstance(error, RateLimitedError):
        attempts.throttled += 1
    elif isinstance(error, ServerError | TransportError):
        attempts.outcome_unknown = True
        if outage:  # the breaker holds the request back; its own retries stay unspent
            return Decision(Verdict.RETRY, 0.0)
        attempts.failures += 1
    return policy.decide(error, attempts.failures, attempts.throttled, attempts.throttle_waited)
