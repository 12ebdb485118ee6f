"""The fastest rate whose arrivals still fit the account's window when the network jitters.

Plivo counts requests when they arrive: at most 300 in any 5 s. Sent evenly at r per second,
they arrive spread by the network's jitter, so a 5 s window holds r x 5 give or take the
requests near its two edges, each of which may land inside or outside it. Over both edges that
count varies by r x E|d - d'|, d and d' two requests' delays (per edge, ∫F(1 - F) over the
delays' distribution, which is half their mean difference, whatever the distribution): the
round trips' `spread`. The rate here keeps `Z` standard deviations of the count free:

    r x period + Z √(r x spread) = requests

At 500 ± 100 ms (a spread of 67 ms) that is 0.974 of Plivo's limit, where 59/s met three 429s
in every 1,500 updates; with no spread it is the whole limit, so below about 30 ms of spread the
default 59/s (burst included) stays the pace. A round trip also varies after the server counted
the request, so the spread overstates the arrivals' own: this errs slow, never fast.
"""

from __future__ import annotations

import math
from typing import Final

# Standard deviations of a window's count kept free: at 500 ± 100 ms, about one run of 1,500
# updates in 50 meets a single 429 (Z = 3.5: one in 6).
Z: Final = 4.0


def fitting_rate(requests: float, period: float, spread: float) -> float:
    """The rate r solving r·period + Z·√(r·spread) = requests."""
    if spread <= 0:
        return requests / period
    # A quadratic in √r: period·u² + b·u - requests = 0.
    b = Z * math.sqrt(spread)
    root = (-b + math.sqrt(b * b + 4 * period * requests)) / (2 * period)
    return root * root
