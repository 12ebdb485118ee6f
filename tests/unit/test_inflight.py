"""In-flight allowance: requests in flight follow rate x round trip (Little's law), bounded."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import anyio
import pytest

from bulkops.pace.inflight import HEADROOM, SPARE, UNMEASURED, Fixed, InFlight
from bulkops.pace.pool import run_pool
from bulkops.pace.roundtrips import RoundTrips


class Watched(InFlight):
    """An allowance with the round trips it reads at hand, as the transport reports them."""

    def __init__(self, ceiling: int, rate: Callable[[], float | None]) -> None:
        self.round_trips = RoundTrips()
        super().__init__(ceiling, rate, self.round_trips)

    def observe(self, seconds: float) -> None:
        self.round_trips.observe(seconds)


def settled(latency: float, *, rate: float | None = 59.0, ceiling: int = 64) -> Watched:
    """An allowance that has seen many answers of `latency` seconds."""
    inflight = Watched(ceiling, lambda: rate)
    for _ in range(200):
        inflight.observe(latency)
    return inflight


def test_before_any_answer_it_allows_what_a_fixed_pool_used_to() -> None:
    """With no round trip seen yet, it starts from the old fixed default (8)."""
    assert Watched(64, lambda: 59.0).allowed() == UNMEASURED


@pytest.mark.parametrize("latency", [0.0, 0.005, 0.1, 0.25, 0.4])
def test_enough_in_flight_to_carry_the_rate_at_any_latency(latency: float) -> None:
    """At 59/s, what is allowed covers rate x latency (Little's law) with headroom to spare."""
    allowed = settled(latency).allowed()
    assert allowed >= 59.0 * latency * HEADROOM + SPARE
    assert allowed == math.ceil(59.0 * latency * HEADROOM) + SPARE


def test_far_more_in_flight_at_250_ms_than_the_old_fixed_eight() -> None:
    """The case the fixed pool lost half the limit on: 250 ms needs about 15, more with headroom."""
    assert settled(0.25).allowed() >= 59 * 0.25 + 1 > 8


def test_the_ceiling_bounds_what_is_in_flight() -> None:
    """At 2 s per answer the law asks for 181; --concurrency 64 caps it."""
    assert settled(2.0).allowed() == 64
    assert settled(2.0, ceiling=10).allowed() == 10


def test_without_a_rate_limit_the_ceiling_is_the_pace() -> None:
    """--rate off: nothing else paces the run, so the whole ceiling is used."""
    assert settled(0.001, rate=None, ceiling=16).allowed() == 16


def test_it_follows_latency_down_and_up() -> None:
    """Round trips dropping from 0.5 s to 5 ms free most slots; back at 0.5 s, they return."""
    inflight = settled(0.5)
    slow = inflight.allowed()
    for _ in range(200):
        inflight.observe(0.005)
    fast = inflight.allowed()
    for _ in range(200):
        inflight.observe(0.5)
    assert fast < slow / 4
    assert inflight.allowed() == slow


def test_one_slow_answer_moves_it_only_a_little() -> None:
    """One 3 s straggler among 100 ms answers does not send it to the ceiling."""
    inflight = settled(0.1)
    before = inflight.allowed()
    inflight.observe(3.0)
    assert before < inflight.allowed() < 64


def test_a_lower_current_rate_lowers_the_allowance() -> None:
    """After 429s the throttle slows down; fewer requests are then kept in flight."""
    rate = [59.0]
    inflight = Watched(64, lambda: rate[0])
    for _ in range(200):
        inflight.observe(0.25)
    full = inflight.allowed()
    rate[0] = 20.0
    assert inflight.allowed() < full


@pytest.mark.parametrize("nonsense", [float("nan"), float("inf"), -1.0])
def test_nonsense_round_trips_are_ignored(nonsense: float) -> None:
    """A clock oddity never poisons the mean."""
    inflight = settled(0.1)
    inflight.observe(nonsense)
    assert inflight.round_trips.mean == pytest.approx(0.1)
    assert inflight.round_trips.spread == pytest.approx(0.0)


def test_a_ceiling_below_one_is_refused() -> None:
    """Zero in flight would never send anything: a usage error."""
    with pytest.raises(ValueError, match="concurrency"):
        InFlight(0, lambda: 1.0, RoundTrips())
    with pytest.raises(ValueError, match="concurrency"):
        Fixed(0)


class Stepped:
    """An allowance of 2 for the first 20 jobs started, 6 after: spies on the pool."""

    ceiling = 8

    def __init__(self) -> None:
        self.started = 0

    def allowed(self) -> int:
        return 2 if self.started < 20 else 6


async def test_the_pool_follows_a_changing_allowance_and_never_exceeds_it() -> None:
    """Jobs in flight stay within what is allowed when each starts, and grow when it grows."""
    allowance = Stepped()
    running = 0
    peaks = {2: 0, 6: 0}
    done: list[int] = []

    async def handle(job: int) -> None:
        nonlocal running
        limit = allowance.allowed()
        allowance.started += 1
        running += 1
        peaks[limit] = max(peaks[limit], running)
        assert running <= limit
        await anyio.sleep(0.001)
        running -= 1
        done.append(job)

    await run_pool(iter(range(100)), handle, concurrency=allowance, stopping=lambda: False)
    assert sorted(done) == list(range(100))
    assert peaks[2] <= 2
    assert peaks[6] == 6


class OneOfEight:
    """Eight workers, one slot."""

    ceiling = 8

    def allowed(self) -> int:
        return 1


async def test_a_worker_takes_its_job_only_once_it_holds_a_slot() -> None:
    """Eight workers, one slot: the iterator is never ahead of the running job (no early lease)."""
    taken = 0
    most_ahead = 0

    def jobs() -> Iterator[int]:
        nonlocal taken
        for job in range(30):
            taken += 1
            yield job

    finished = 0

    async def handle(job: int) -> None:
        nonlocal most_ahead, finished
        most_ahead = max(most_ahead, taken - finished)
        await anyio.sleep(0)
        finished += 1

    await run_pool(jobs(), handle, concurrency=OneOfEight(), stopping=lambda: False)
    assert finished == 30
    assert most_ahead == 1
