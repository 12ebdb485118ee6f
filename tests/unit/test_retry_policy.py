"""The retry policy decides, without a network, what happens after each kind of failure."""

from __future__ import annotations

import random

import anyio
import pytest

from bulkops.client import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PlivoError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bulkops.pace import retry
from bulkops.pace.breaker import Breaker
from bulkops.pace.retry import RetryPolicy, Verdict
from bulkops.pace.throttle import Throttle


def _error(cls: type[PlivoError], **extra: object) -> PlivoError:
    return cls("boom", status=None, method="POST", path="/v1/x/", message="boom", **extra)  # type: ignore[arg-type]


def policy() -> RetryPolicy:
    return RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0, rng=random.Random(4))


def test_server_errors_and_transport_failures_are_retried_up_to_the_bound() -> None:
    """5xx and dropped connections retry with backoff until max_attempts, then give up."""
    for cls in (ServerError, TransportError):
        assert policy().decide(_error(cls), failures=1, throttled=0).verdict is Verdict.RETRY
        assert policy().decide(_error(cls), failures=2, throttled=0).verdict is Verdict.RETRY
        assert policy().decide(_error(cls), failures=3, throttled=0).verdict is Verdict.GIVE_UP


def test_backoff_grows_exponentially_and_is_capped() -> None:
    """Each further failure waits longer, never past max_delay, with jitter in the upper half."""
    p = policy()
    for failures in range(1, 12):
        ceiling = min(1.0, 0.1 * 2 ** (failures - 1))
        delay = p.backoff(failures)
        assert ceiling / 2 <= delay <= ceiling


def test_rate_limit_honours_retry_after_when_sent() -> None:
    """A 429 with Retry-After pauses for exactly that long; without it, backoff decides."""
    with_header = policy().decide(_error(RateLimitedError, retry_after=2.0), 0, throttled=1)
    assert with_header == retry.Decision(Verdict.THROTTLED, 2.0)
    without = policy().decide(_error(RateLimitedError, retry_after=None), 0, throttled=3)
    assert without.verdict is Verdict.THROTTLED
    assert 0.2 <= without.delay <= 0.4  # 0.1 s doubled for each of the 3 429s so far


def test_permanent_and_fatal_errors() -> None:
    """400/404 fail the one request; bad credentials stop the whole run."""
    assert policy().decide(_error(InvalidRequestError), 0, 0).verdict is Verdict.GIVE_UP
    assert policy().decide(_error(NotFoundError), 0, 0).verdict is Verdict.GIVE_UP
    assert policy().decide(_error(AuthenticationError), 0, 0).verdict is Verdict.FATAL


async def test_call_retries_until_success_and_counts_attempts() -> None:
    """Two transient failures then success: the result comes back, three sends are counted."""
    answers: list[PlivoError | str] = [_error(ServerError), _error(TransportError), "ok"]

    async def op() -> str:
        answer = answers.pop(0)
        if isinstance(answer, PlivoError):
            raise answer
        return answer

    attempts = retry.Attempts()
    fast = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.002)
    assert await retry.call(op, fast, Throttle(rate=None), attempts) == "ok"
    assert (attempts.sent, attempts.failures, attempts.outcome_unknown) == (3, 2, True)


async def test_call_pauses_the_shared_throttle_on_429() -> None:
    """A 429 makes every user of the throttle wait, not just the request that met it."""
    throttle = Throttle(rate=None)
    answers: list[PlivoError | str] = [_error(RateLimitedError, retry_after=0.05), "ok"]

    async def op() -> str:
        answer = answers.pop(0)
        if isinstance(answer, PlivoError):
            raise answer
        return answer

    attempts = retry.Attempts()
    assert await retry.call(op, policy(), throttle, attempts) == "ok"
    assert throttle.pauses == 1
    assert attempts.throttled == 1


async def test_call_gives_up_with_the_last_error() -> None:
    """A permanent failure is raised at once, after a single send."""
    attempts = retry.Attempts()

    async def op() -> None:
        raise _error(InvalidRequestError)

    with pytest.raises(InvalidRequestError):
        await retry.call(op, policy(), Throttle(rate=None), attempts)
    assert attempts.sent == 1


def test_a_request_that_meets_429_after_429_gives_up_in_the_end() -> None:
    """429s are waited out, but not forever: past max_throttled the request fails."""
    p = policy()
    rate_limited = _error(RateLimitedError, retry_after=None)
    assert p.decide(rate_limited, 0, throttled=p.max_throttled).verdict is Verdict.THROTTLED
    assert p.decide(rate_limited, 0, throttled=p.max_throttled + 1).verdict is Verdict.GIVE_UP


def test_a_huge_retry_after_is_capped() -> None:
    """A Retry-After of an hour pauses for the cap, not an hour."""
    p = policy()
    decision = p.decide(_error(RateLimitedError, retry_after=3600.0), 0, throttled=1)
    assert decision.verdict is Verdict.THROTTLED
    assert decision.delay == p.max_delay * 3


def test_a_request_spends_at_most_its_budget_waiting_out_429s() -> None:
    """Retry-After of an hour, again and again: one request waits two minutes in all, then fails."""
    p = RetryPolicy()
    rate_limited = _error(RateLimitedError, retry_after=3600.0)
    first = p.decide(rate_limited, 0, throttled=1, waited=100.0)
    assert first.delay == pytest.approx(p.max_throttled_wait - 100.0)
    spent = p.decide(rate_limited, 0, throttled=2, waited=p.max_throttled_wait)
    assert spent.verdict is Verdict.GIVE_UP


async def test_failures_while_the_breaker_is_open_do_not_use_up_retries() -> None:
    """During an outage a request is held back, not failed: its retries are still there after."""
    breaker = Breaker(give_up_after=30)
    for i in range(10):
        breaker.failed(f"GET /Number/1415555{i:04d}/")
    answers: list[PlivoError | str] = [_error(ServerError)] * 3 + ["ok"]

    async def op() -> str:
        answer = answers.pop(0)
        if isinstance(answer, PlivoError):
            raise answer
        return answer

    attempts = retry.Attempts()
    fast = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002)
    with anyio.fail_after(30):
        assert await retry.call(op, fast, Throttle(rate=None), attempts, breaker) == "ok"
    assert attempts.sent == 4
    assert attempts.failures == 0
