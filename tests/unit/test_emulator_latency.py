"""The emulator's latency jitter: every request's delay spread around the configured latency."""

from __future__ import annotations

import pytest

from bulkops.emulator import Faults
from bulkops.emulator.guards import FaultDice


def test_jitter_spreads_latency_within_its_bounds() -> None:
    """With 0.25 s ± 40 %, delays stay in 0.15-0.35 s, vary, and average near 0.25 s."""
    dice = FaultDice(Faults(latency=0.25, latency_jitter=0.4), seed=1)
    draws = [dice.latency() for _ in range(2000)]
    assert all(0.15 <= d <= 0.35 for d in draws)
    assert max(draws) - min(draws) > 0.15
    assert sum(draws) / len(draws) == pytest.approx(0.25, abs=0.01)


def test_no_jitter_keeps_latency_fixed() -> None:
    """Without jitter every request waits exactly the configured latency."""
    dice = FaultDice(Faults(latency=0.1), seed=1)
    assert {dice.latency() for _ in range(50)} == {0.1}


def test_jitter_must_be_a_fraction() -> None:
    """A jitter above 1 would allow negative latencies: refused."""
    with pytest.raises(ValueError, match="latency_jitter"):
        Faults(latency=0.1, latency_jitter=1.5)
