"""The worker pool and the throttle keep their promises: bounded concurrency, bounded rate."""

from __future__ import annotations

import anyio
import pytest

from bulkops.pace.pool import run_pool
from bulkops.pace.throttle import MIN_RATE, RECENT, Throttle


async def test_pool_never_exceeds_its_concurrency_and_runs_every_job() -> None:
    """With 4 workers, at most 4 jobs are in flight, and all 50 jobs run once."""
    running = 0
    peak = 0
    seen: list[int] = []

    async def handle(job: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.001)
        seen.append(job)
        running -= 1

    await run_pool(iter(range(50)), handle, concurrency=4, stopping=lambda: False)
    assert peak == 4
    assert sorted(seen) == list(range(50))


async def test_stop_lets_in_flight_jobs_finish_and_starts_no_new_one() -> None:
    """After a stop request, jobs already started complete; no further job is taken."""
    started: list[int] = []
    finished: list[int] = []
    stop = False

    async def handle(job: int) -> None:
        nonlocal stop
        started.append(job)
        if job == 5:
            stop = True
        await anyio.sleep(0.01)
        finished.append(job)

    await run_pool(iter(range(100)), handle, concurrency=3, stopping=lambda: stop)
    assert sorted(started) == sorted(finished)
    assert len(started) < 10


def test_pool_refuses_zero_concurrency() -> None:
    """A pool of no workers is a usage error, not a silent no-op."""
    with pytest.raises(ValueError, match="concurrency"):
        anyio.run(
            lambda: run_pool(
                iter([1]), lambda j: anyio.sleep(0), concurrency=0, stopping=lambda: False
            )
        )


@pytest.mark.parametrize("rate", [0, -1, float("nan"), float("inf")])
def test_throttle_refuses_nonsense_rates(rate: float) -> None:
    """A rate must be a positive finite number of requests per second."""
    with pytest.raises(ValueError, match="rate"):
        Throttle(rate=rate)


async def test_throttle_never_lets_more_than_rate_plus_burst_through_in_any_second() -> None:
    """Spy on 120 acquisitions at 200/s: no one-second window holds more than 200 + burst."""
    throttle = Throttle(rate=200, burst=3)
    stamps: list[float] = []
    for _ in range(120):
        await throttle.wait()
        stamps.append(anyio.current_time())
    # An upper bound only: a slow machine can send fewer, never more.
    window = 0.25
    for i, start in enumerate(stamps):
        in_window = sum(1 for t in stamps[i:] if t - start < window)
        assert in_window <= 200 * window + 3


async def test_pause_holds_every_waiter_until_it_ends() -> None:
    """After pause(), no caller gets through before the pause has ended."""
    throttle = Throttle(rate=None)
    throttle.pause(0.05)
    paused_at = anyio.current_time()
    through: list[float] = []

    async def waiter() -> None:
        await throttle.wait()
        through.append(anyio.current_time())

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(waiter)
    assert len(through) == 5
    assert min(through) >= paused_at + 0.05


async def _send(throttle: Throttle, count: int) -> None:
    for _ in range(count):
        await throttle.wait()


async def test_an_odd_429_only_pauses_but_many_slow_the_rate_down() -> None:
    """One 429 in a hundred requests pauses; a few percent of 429s also lower the rate."""
    now = [1000.0]
    throttle = Throttle(rate=1000, clock=lambda: now[0])
    await _send(throttle, 100)
    throttle.pause(0.0)
    assert throttle.current_rate == 1000, "an isolated 429 only pauses"
    now[0] += 1.5
    throttle.pause(0.0)
    throttle.pause(0.0)
    assert throttle.current_rate == 750


async def test_after_slowing_down_the_rate_climbs_back_when_quiet() -> None:
    """Once the 429s stop, the rate returns step by step to the configured one."""
    now = [1000.0]
    throttle = Throttle(rate=1000, clock=lambda: now[0])
    for _ in range(3):
        throttle.pause(0.0)
        now[0] += 1.5
    assert throttle.current_rate is not None
    assert throttle.current_rate < 750
    for _ in range(40):  # forty quiet seconds
        now[0] += 1.0
        await throttle.wait()
    assert throttle.current_rate == 1000


async def test_429s_answered_during_one_pause_slow_down_once() -> None:
    """The answers to requests already in flight when a 429 came do not compound the slow-down."""
    now = [1000.0]
    throttle = Throttle(rate=1000, clock=lambda: now[0])
    for _ in range(5):
        throttle.pause(2.0)
    assert throttle.current_rate == 750


async def test_the_first_caller_after_a_pause_takes_the_refilled_burst() -> None:
    """After a pause, requests resume at the steady rate, not as a burst of `burst` at once."""
    throttle = Throttle(rate=100, burst=5)
    await anyio.sleep(0.1)  # the bucket is full
    throttle.pause(0.02)
    resumed = anyio.current_time() + 0.02
    for _ in range(6):
        await throttle.wait()
    # With the burst drained, the 6th request waits for 5 tokens at 100/s: 50 ms after the pause.
    assert anyio.current_time() - resumed >= 0.04


async def test_callers_queued_when_a_pause_starts_wait_it_out() -> None:
    """Callers waiting on the rate when a 429 pauses the run do not fire during the pause."""
    throttle = Throttle(rate=50, burst=1)
    through: list[float] = []

    async def waiter() -> None:
        await throttle.wait()
        through.append(anyio.current_time())

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(waiter)
        while not through:
            await anyio.sleep(0.001)
        throttle.pause(0.2)
        pause_ends = anyio.current_time() + 0.2
    late = [t for t in through[1:] if t < pause_ends - 0.001]
    assert late == [], "a queued caller went out during the pause"


async def test_a_shorter_pause_never_cuts_a_longer_one_short() -> None:
    """A 429 asking for 10 ms during a 150 ms pause leaves the 150 ms in place."""
    throttle = Throttle(rate=None)
    start = anyio.current_time()
    throttle.pause(0.15)
    throttle.pause(0.01)
    await throttle.wait()
    assert anyio.current_time() - start >= 0.15


async def test_slow_downs_are_given_a_second_to_take_effect() -> None:
    """A second burst of 429s half a second after a slow-down does not slow down again."""
    now = [1000.0]
    throttle = Throttle(rate=1000, clock=lambda: now[0])
    await _send(throttle, 100)
    for _ in range(3):
        throttle.pause(0.0)
    assert throttle.current_rate == 750
    now[0] += 0.5
    for _ in range(3):
        throttle.pause(0.0)
    assert throttle.current_rate == 750
    now[0] += 1.0
    throttle.pause(0.0)
    assert throttle.current_rate == 562.5


async def test_the_rate_never_falls_below_its_floor() -> None:
    """However many 429s, the rate backs off to MIN_RATE and no lower: the run never stalls."""
    now = [1000.0]
    throttle = Throttle(rate=1000, clock=lambda: now[0])
    for _ in range(60):
        for _ in range(3):
            throttle.pause(0.0)
        now[0] += 1.5
    assert throttle.current_rate == MIN_RATE


async def test_only_the_last_seconds_of_requests_decide_a_slow_down() -> None:
    """Thousands of requests long ago do not dilute the 429s of now: history is pruned."""
    now = [1000.0]
    throttle = Throttle(rate=10_000, clock=lambda: now[0])
    await _send(throttle, 1000)
    now[0] += 2 * RECENT
    await _send(throttle, 10)
    for _ in range(3):
        throttle.pause(0.0)
    assert throttle.current_rate == 7500


async def test_a_caller_cancelled_while_paced_does_not_hold_back_the_next() -> None:
    throttle = Throttle(rate=5, burst=1)
    await throttle.wait()
    with anyio.move_on_after(0.01):
        await throttle.wait()  # booked 200 ms out, then given up
    started = anyio.current_time()
    await throttle.wait()
    # ~0.19 s: the place given up; keeping it would make this one wait ~0.39 s.
    assert anyio.current_time() - started < 0.3
