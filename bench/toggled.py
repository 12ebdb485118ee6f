"""`python -m bench.toggled OUT.json FIRST ARGS…`: `bulkops ARGS…` with journal commits on, off, …

The machine's speed drifts by ±20 % over seconds (other tenants, the emulator sharing two CPUs),
more than the journal costs, so two separate runs cannot tell the journal's cost apart from the
drift. Here one run does both: the run's journal writes (`Runner._write`, what
`--bench-no-commit` stubs out) are made or skipped in alternate slices of PERIOD seconds, and the
server's timestamps of the updates, split by slice, give both throughputs under the same drift.
FIRST ("on" or "off") is what the first slice does; OUT.json records the clock origin, the period
and FIRST.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

PERIOD = 0.1  # seconds per slice: long next to a round trip (ms), short next to the drift (s)


def committing(origin: float, now: float, first: bool) -> bool:
    """Slices 0, 2, 4, … do as `first` says; 1, 3, 5, … the opposite."""
    return (int((now - origin) / PERIOD) % 2 == 0) == first


def main(out: str, first: str, argv: list[str]) -> int:
    from bulkops.cli import main as bulkops_main
    from bulkops.run import runner

    write = runner.Runner._write  # fail here, loudly, if the seam moved
    origin = time.monotonic()

    def toggled(self: runner.Runner, batch: Any) -> None:
        if committing(origin, time.monotonic(), first == "on"):
            write(self, batch)

    runner.Runner._write = toggled  # type: ignore[method-assign]
    with open(out, "w") as file:
        json.dump({"origin": origin, "period": PERIOD, "first": first}, file)
    return bulkops_main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
