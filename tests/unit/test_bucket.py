"""The pacing bucket: a burst of `capacity` at once, then `rate` per second, in booking order."""

from __future__ import annotations

import itertools

import pytest

from bulkops.pace.bucket import Bucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_lets_its_capacity_through_at_once_then_paces() -> None:
    clock = Clock()
    bucket = Bucket(rate=10, capacity=3, clock=clock)
    waits = [bucket.book() for _ in range(5)]
    assert waits == pytest.approx([0, 0, 0, 0.1, 0.2])


def test_callers_asking_together_are_let_through_in_the_order_they_asked() -> None:
    bucket = Bucket(rate=50, capacity=1, clock=Clock())
    waits = [bucket.book() for _ in range(4)]
    assert waits == pytest.approx([0, 0.02, 0.04, 0.06])


def test_an_idle_bucket_refills_to_its_capacity_and_no_further() -> None:
    clock = Clock()
    bucket = Bucket(rate=10, capacity=2, clock=clock)
    for _ in range(6):
        bucket.book()
    clock.now += 60.0  # a long quiet spell earns no more than a full bucket
    assert [bucket.book() for _ in range(3)] == pytest.approx([0, 0, 0.1])


def test_taking_several_places_delays_the_next_caller_by_as_many() -> None:
    clock = Clock()
    bucket = Bucket(rate=10, capacity=3, clock=clock)
    assert bucket.book(3) == 0
    assert bucket.book() == pytest.approx(0.1)


def test_no_window_holds_more_than_capacity_plus_rate_times_its_length() -> None:
    """Callers who each sleep what they were told: the bound a sliding-window server counts."""
    clock = Clock()
    rate, capacity = 59.0, 3
    bucket = Bucket(rate=rate, capacity=capacity, clock=clock)
    sent = []
    for step in range(2000):
        clock.now += 0.004 if step % 7 else 0.05  # arrivals faster than the rate, with gaps
        sent.append(clock.now + bucket.book())
    sent.sort()
    window = 5.0
    for i, start in enumerate(sent):
        inside = sum(1 for t in sent[i : i + 400] if t - start < window)
        assert inside <= capacity + rate * window


@pytest.mark.parametrize("amount", [0, 4])
def test_a_booking_must_fit_the_bucket(amount: int) -> None:
    with pytest.raises(ValueError, match="amount"):
        Bucket(rate=10, capacity=3).book(amount)


def test_a_caller_who_gives_up_waiting_hands_its_place_to_the_next() -> None:
    clock = Clock()
    bucket = Bucket(rate=10, capacity=1, clock=clock)
    bucket.book()
    assert bucket.book() == pytest.approx(0.1)
    bucket.give_back(bucket.booked, 1)
    assert bucket.book() == pytest.approx(0.1)  # not 0.2: the place was free again


def test_only_the_latest_booking_can_be_given_back() -> None:
    """Later callers are already timed after an earlier booking: undoing it would crowd them."""
    clock = Clock()
    bucket = Bucket(rate=10, capacity=1, clock=clock)
    bucket.book()
    bucket.book()
    earlier = bucket.booked
    bucket.book()
    bucket.give_back(earlier, 1)
    assert bucket.book() == pytest.approx(0.3)


def test_a_new_rate_paces_what_is_booked_next_and_leaves_earlier_bookings_alone() -> None:
    """The throttle retimes its bucket as jitter comes and goes: no burst, no booking moved."""
    bucket = Bucket(rate=10, capacity=1, clock=Clock())
    before = [bucket.book() for _ in range(3)]
    bucket.retime(5)
    after = [bucket.book() for _ in range(3)]
    assert before == pytest.approx([0, 0.1, 0.2])
    assert after[0] > before[-1]
    assert [b - a for a, b in itertools.pairwise(after)] == pytest.approx([0.2, 0.2])


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_a_new_rate_must_be_a_positive_number(rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        Bucket(rate=10, capacity=1, clock=Clock()).retime(rate)
