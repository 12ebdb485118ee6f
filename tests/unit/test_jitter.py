"""Pacing under network jitter: Plivo counts arrivals, and jitter bunches evenly paced sends.

The simulations here are the emulator's model at its most demanding: the whole round trip
passes before the server counts a request (`--latency 0.5 --latency-jitter 0.2`), and the
server refuses a request that would make 301 in the 5 s before it.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections import deque
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from bulkops import logs
from bulkops.client.transport import request_kind
from bulkops.limits import DEFAULT_RATE, PLIVO_PERIOD, PLIVO_RATE, PLIVO_REQUESTS
from bulkops.pace.jitter import fitting_rate
from bulkops.pace.roundtrips import RoundTrips
from bulkops.pace.throttle import Throttle

UPDATES = 1500  # one run of the benchmark's latency sweep


def jittered(latency: float, jitter: float, count: int, seed: int) -> list[float]:
    """Round trips of `latency` spread ±`jitter` (a share of it), as the emulator draws them."""
    rng = random.Random(seed)
    return [rng.uniform(latency * (1 - jitter), latency * (1 + jitter)) for _ in range(count)]


def refused(rate: float, delays: list[float]) -> int:
    """How many of `delays` evenly paced sends at `rate` a 300-per-5-s server refuses."""
    arrivals = sorted(i / rate + delay for i, delay in enumerate(delays))
    window: deque[float] = deque()
    refusals = 0
    for arrival in arrivals:
        while window and window[0] <= arrival - PLIVO_PERIOD:
            window.popleft()
        if len(window) < PLIVO_REQUESTS:
            window.append(arrival)
        else:
            refusals += 1
    return refusals


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def throttle_after(
    round_trips: list[float], rate: float = DEFAULT_RATE, clock: Clock | None = None
) -> tuple[Throttle, RoundTrips]:
    """A throttle (and the round trips it reads) that has seen `round_trips`, then one request."""
    seen = RoundTrips()
    for seconds in round_trips:
        seen.observe(seconds)
    throttle = Throttle(rate=rate, round_trips=seen, clock=clock or Clock())
    await throttle.wait()  # it looks at the jitter as requests ask to go
    return throttle, seen


async def paced_after(round_trips: list[float], rate: float = DEFAULT_RATE) -> float:
    """The rate a throttle paces at once it has seen `round_trips`."""
    throttle, _ = await throttle_after(round_trips, rate)
    assert throttle.paced_rate is not None
    return throttle.paced_rate


async def test_at_500_ms_and_jitter_no_run_meets_a_429_and_the_pace_stays_near_the_limit() -> None:
    """500 ± 100 ms: 20 runs of 1,500 updates at the paced rate, every one let through."""
    rate = await paced_after(jittered(0.5, 0.2, 300, seed=1))
    assert 0.97 * PLIVO_RATE <= rate < DEFAULT_RATE
    runs = [jittered(0.5, 0.2, UPDATES, seed) for seed in range(20)]
    assert [refused(rate, delays) for delays in runs] == [0] * len(runs)


def test_without_the_hold_the_default_rate_meets_429s_at_500_ms() -> None:
    """What the hold is for: at 59/s the same runs are refused now and then."""
    runs = [jittered(0.5, 0.2, UPDATES, seed) for seed in range(20)]
    assert sum(refused(DEFAULT_RATE, delays) for delays in runs) > 0


@pytest.mark.parametrize("latency", [0.0, 0.1])
async def test_a_steady_network_keeps_the_configured_rate(latency: float) -> None:
    """At 0 and 100 ms ± 20 %, arrivals bunch too little to matter: 59/s stays the pace."""
    assert await paced_after(jittered(latency, 0.2, 300, seed=2)) == DEFAULT_RATE


async def test_a_rate_above_plivos_default_limit_is_held_to_its_own_window() -> None:
    """--rate 1000 (a raised limit, or a local server): jitter costs it a sliver, not 94 %."""
    rate = await paced_after(jittered(0.5, 0.2, 300, seed=3), rate=1000)
    assert 990 < rate < 1000


async def test_the_pace_returns_to_the_configured_rate_when_the_jitter_goes() -> None:
    clock = Clock()
    throttle, seen = await throttle_after(jittered(0.5, 0.2, 300, seed=4), clock=clock)
    assert throttle.paced_rate is not None
    assert throttle.paced_rate < DEFAULT_RATE
    for _ in range(300):
        seen.observe(0.5)
    clock.now += 1.0
    await throttle.wait()
    assert throttle.paced_rate == DEFAULT_RATE


async def test_a_slow_down_after_429s_and_the_jitter_hold_take_the_lower_of_the_two() -> None:
    throttle, _ = await throttle_after(jittered(0.5, 0.2, 300, seed=5))
    held = throttle.paced_rate
    for _ in range(3):
        throttle.pause(0.0)  # a burst of 429s: another script spends the account's budget
    assert held is not None
    assert held < DEFAULT_RATE
    # Backed off from the pace that met the 429s, not from the configured rate above it.
    assert throttle.paced_rate == throttle.current_rate == pytest.approx(0.75 * held)


def test_the_fitting_rate_is_the_whole_window_without_jitter_and_falls_as_it_grows() -> None:
    rates = [fitting_rate(300, 5.0, spread) for spread in (0.0, 0.01, 0.03, 0.06, 0.12)]
    assert rates[0] == pytest.approx(60.0)
    assert rates == sorted(rates, reverse=True)
    # The equation it solves: the window's mean count plus Z deviations is the window's size.
    rate = rates[3]
    assert rate * 5.0 + 4.0 * (rate * 0.06) ** 0.5 == pytest.approx(300)


@pytest.mark.parametrize(
    "draw",
    [lambda rng: rng.uniform(0.4, 0.6), lambda rng: rng.gauss(0.5, 0.0577)],
    ids=["uniform", "normal"],
)
def test_round_trips_measure_how_far_apart_two_of_them_are(draw: object) -> None:
    """500 ± 100 ms uniform: two draws differ by 200/3 = 67 ms on average; normal with the same
    standard deviation (58 ms): by 2 x 58/√π = 65 ms."""
    rng = random.Random(6)
    seen = RoundTrips()
    for _ in range(2000):
        seen.observe(draw(rng))  # type: ignore[operator]
    assert seen.mean == pytest.approx(0.5, abs=0.02)
    assert 0.055 < seen.spread < 0.078


async def test_one_straggler_holds_the_rate_down_only_briefly() -> None:
    """A 3 s answer among steady 100 ms ones: 100 answers later, 59/s is the pace again."""
    steady = [0.1] * 100
    assert await paced_after([*steady, 3.0]) > 0.9 * DEFAULT_RATE
    assert await paced_after([*steady, 3.0, *steady]) == DEFAULT_RATE


async def test_the_held_rate_is_the_pace_requests_go_out_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bucket itself is retimed: requests are spaced 1/held apart, not 1/59."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("bulkops.pace.throttle.anyio.sleep", sleep)
    throttle, _ = await throttle_after(jittered(0.5, 0.5, 300, seed=8))
    held = throttle.paced_rate
    assert held is not None
    assert held < 0.98 * DEFAULT_RATE
    for _ in range(6):
        await throttle.wait()
    spacing = [b - a for a, b in itertools.pairwise(waits)]
    assert spacing == pytest.approx([1 / held] * len(spacing), rel=0.002)


def test_round_trips_of_different_kinds_are_no_jitter() -> None:
    """A cleanup's GETs (200 ms) and DELETEs (500 ms) alternate: they differ, but do not jitter."""
    seen = RoundTrips()
    for _ in range(200):
        seen.observe(0.2, "GET Number/1")
        seen.observe(0.5, "DELETE Number/1")
    assert seen.spread == pytest.approx(0.0)
    assert seen.mean == pytest.approx(0.35, abs=0.03)


def test_refusals_and_errors_leave_the_spread_alone() -> None:
    """429s come back at once between 500 ms answers: no jitter in what the server counted."""
    seen = RoundTrips()
    for _ in range(200):
        seen.observe(0.5, "POST Number/1", 202)
        seen.observe(0.01, "POST Number/1", 429)
    assert seen.spread == pytest.approx(0.0)


@pytest.fixture
def info_lines() -> Iterator[list[MutableMapping[str, Any]]]:
    """Log lines at INFO and above, as -v writes them."""
    structlog.reset_defaults()
    logs.configure(logging.INFO, lambda: None)
    with capture_logs() as written:
        yield written
    logs.configure(logging.WARNING, lambda: None)
    structlog.reset_defaults()


async def test_v_tells_when_the_rate_is_held_and_when_it_is_let_go(
    info_lines: list[MutableMapping[str, Any]],
) -> None:
    clock = Clock()
    throttle, seen = await throttle_after(jittered(0.5, 0.5, 300, seed=9), clock=clock)
    for _ in range(300):
        seen.observe(0.5)
    clock.now += 1.0
    await throttle.wait()
    told = [line["rate"] for line in info_lines if line["event"] == "pacing_for_jitter"]
    assert len(told) == 2
    assert told[0] < DEFAULT_RATE
    assert told[1] == DEFAULT_RATE


def test_a_request_kind_is_its_method_and_resource_and_whether_it_lists() -> None:
    """Two numbers' GETs compare; a list page, a GET and a DELETE of one number do not."""
    assert request_kind("GET", "Number/14155550100/") == request_kind("GET", "Number/44207/")
    kinds = {
        request_kind("GET", "Number/"),
        request_kind("GET", "Number/14155550100/"),
        request_kind("DELETE", "Number/14155550100/"),
        request_kind("GET", "Call/"),
    }
    assert len(kinds) == 4
