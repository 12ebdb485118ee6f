"""The circuit breaker stops a run that Plivo no longer answers, and lets it go on when it does."""

from __future__ import annotations

import itertools

import anyio
import pytest

from bulkops.pace.breaker import Breaker, OutageError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_of_one_request_do_not_open_it() -> None:
    """One number failing again and again is that number's problem, not an outage."""
    breaker = Breaker(clock=Clock())
    for _ in range(50):
        breaker.failed("POST /Number/14155550100/")
    assert not breaker.is_open


def test_ten_failures_in_a_row_across_numbers_open_it() -> None:
    """Ten failures in a row, of several numbers, with no answer: Plivo is gone, stop sending."""
    breaker = Breaker(clock=Clock())
    for i in range(9):
        breaker.failed(f"POST /Number/1415555010{i % 3}/")  # three workers retrying
    assert not breaker.is_open
    breaker.failed("POST /Number/14155550100/")
    assert breaker.is_open


def test_failures_spread_over_more_than_the_window_do_not_open_it() -> None:
    """A failure a minute is not an outage."""
    clock = Clock()
    breaker = Breaker(clock=clock)
    for i in range(20):
        breaker.failed(f"POST /Number/1415555{i:04d}/")
        clock.now += 2.0
    assert not breaker.is_open


def test_an_answer_in_between_resets_the_streak() -> None:
    """Failures spread among successes are ordinary faults: the run goes on."""
    breaker = Breaker(clock=Clock())
    for i in range(30):
        breaker.failed(f"POST /Number/1415555{i:04d}/")
        if i % 5 == 4:
            breaker.answered()
    assert not breaker.is_open


async def test_while_open_only_one_probe_goes_out_and_an_answer_closes_it() -> None:
    """Open: callers wait except one probe; when it is answered, everyone goes on."""
    breaker = Breaker(give_up_after=30)
    for i in range(10):
        breaker.failed(f"GET /Number/1415555{i:04d}/")
    admitted: list[int] = []

    async def caller(n: int) -> None:
        await breaker.admit()
        admitted.append(n)

    async with anyio.create_task_group() as group:
        for n in range(5):
            group.start_soon(caller, n)
        with anyio.fail_after(5):
            while not admitted:
                await anyio.sleep(0.01)
        await anyio.sleep(0.2)
        assert len(admitted) == 1, "only the probe goes out"
        breaker.answered()
    assert sorted(admitted) == list(range(5))


async def test_a_failed_probe_waits_longer_before_the_next() -> None:
    """Probe intervals grow while Plivo stays away."""
    clock = Clock()
    breaker = Breaker(give_up_after=600, clock=clock)
    for i in range(10):
        breaker.failed(f"GET /Number/1415555{i:04d}/")
    probes: list[float] = []
    for _ in range(4):
        with anyio.fail_after(1):
            while True:
                try:
                    with anyio.move_on_after(0.02):
                        await breaker.admit()
                        break
                finally:
                    clock.now += 0.25
        probes.append(clock.now)
        breaker.failed("GET /Number/probe/")
    gaps = [b - a for a, b in itertools.pairwise(probes)]
    assert gaps == sorted(gaps)
    assert gaps[-1] > gaps[0]


async def test_it_gives_up_after_the_bound() -> None:
    """No answer for longer than the bound: every waiting caller gets OutageError."""
    clock = Clock()
    breaker = Breaker(give_up_after=60, clock=clock)
    for i in range(10):
        breaker.failed(f"GET /Number/1415555{i:04d}/")
    clock.now += 61
    with pytest.raises(OutageError, match="no usable answer for 61 s"):
        await breaker.admit()


async def test_nothing_but_429s_for_too_long_is_an_outage_too() -> None:
    """A run that meets only 429s for longer than the bound stops instead of waiting forever."""
    clock = Clock()
    breaker = Breaker(give_up_after=60, clock=clock)
    breaker.throttled()
    clock.now += 30
    breaker.throttled()
    await breaker.admit()  # within the bound
    clock.now += 31
    with pytest.raises(OutageError):
        await breaker.admit()
