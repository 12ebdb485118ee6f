"""5. Checkpoint cost: throughput with the journal committing versus with its commits stubbed out.

No rate limit, no latency, so the journal's cost is not hidden behind waiting. Two measurements:

* interleaved (the verdict): `bulkops apply` runs whose journal writes are made and skipped in
  alternate 0.1 s slices (`bench.toggled`; two runs, one starting with commits on and one with
  them off); the server's update timestamps, split by slice, give both throughputs under the same
  machine conditions.
* separate runs: `bulkops apply` and `bulkops apply --bench-no-commit` (the hidden switch) in
  side-by-side pairs. On a shared 2-CPU machine the speed drifts by ±20 % over seconds, so the
  spread of these pairs is shown, and they cannot settle a 10 % question on their own.
"""

from __future__ import annotations

import bisect
import json
import math
from pathlib import Path
from typing import Any

from bench.emulator import EmulatorProcess, EmulatorSpec
from bench.harness import (
    NO_LIMIT_RATE,
    bulkops_apply,
    check_exit,
    client_run,
    paired,
    write_plan,
)
from bench.processes import PYTHON
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context
from bench.scenarios.overhead import CONCURRENCY, Comparison, bulkops
from bench.toggled import PERIOD

NAME = "checkpoint"
TITLE = "5 checkpoint cost"
TARGET = 0.10


def run(ctx: Context) -> ScenarioResult:
    numbers = ctx.size(30000, 6000)
    rounds = ctx.size(1, 1)
    work = ctx.fresh_dir(NAME)
    params = Params(numbers, "off", 0, CONCURRENCY)
    with EmulatorProcess(EmulatorSpec(numbers=numbers), work / "emulator") as emulator:
        slices = pooled([interleaved(emulator, work, first) for first in ("on", "off")])
        pairs = paired(
            rounds,
            lambda i: bulkops(emulator, work, f"stubbed{i}", ["--bench-no-commit"]),
            lambda i: bulkops(emulator, work, f"journaled{i}", []),
        )
    comparison = Comparison(pairs)
    overhead = 1 - slices["on_rate"] / slices["off_rate"]
    separate = 1 - comparison.ratio
    return ScenarioResult(
        NAME,
        TITLE,
        [
            Row(
                NAME,
                "journal on/off in 0.1 s slices",
                params,
                f"overhead {overhead:.1%}: on {slices['on_rate']:,.0f} vs off "
                f"{slices['off_rate']:,.0f} updates/s ({slices['slices']} slices each, 2 runs)",
                {**slices, "overhead": round(overhead, 4)},
                target=f"≤ {TARGET:.0%} overhead",
                passed=overhead <= TARGET,
            ),
            Row(
                NAME,
                "separate runs, --bench-no-commit",
                params,
                f"overhead {separate:.1%}: journal {comparison.b.traffic.update_rate:,.0f} vs "
                f"stubbed {comparison.a.traffic.update_rate:,.0f} updates/s (too noisy to judge "
                "by: see the docs)",
                {
                    "stubbed": comparison.figures_a(),
                    "journal": comparison.figures_b(),
                    "overhead": round(separate, 4),
                },
            ),
        ],
    )


def interleaved(emulator: EmulatorProcess, work: Path, first: str) -> dict[str, list[int]]:
    """Updates per slice, committing slices and skipping ones apart, over the update span."""
    plan = write_plan(work, f"toggled-{first}", f"bench toggled {first}")
    args = bulkops_apply(
        plan, work / f"state-toggled-{first}", rate=NO_LIMIT_RATE, concurrency=CONCURRENCY
    )
    clock = work / f"toggled-{first}.json"
    cmd = [PYTHON, "-m", "bench.toggled", str(clock), first, *args[3:]]  # after "-m bulkops"
    run = client_run(emulator, cmd, work, timeout=600)
    check_exit(run.measured, "bulkops apply with toggled commits")
    timing = json.loads(clock.read_text())
    posts = sorted(r["at"] for r in run.rows if r["method"] == "POST" and r["status"] == 202)
    return split(posts, timing["origin"], timing["period"], timing["first"] == "on")


def split(posts: list[float], origin: float, period: float, first_on: bool) -> dict[str, list[int]]:
    """Updates in each whole slice inside the update span, by whether the slice committed."""
    begin = math.ceil((posts[0] - origin) / period)
    end = math.floor((posts[-1] - origin) / period)
    counts: dict[str, list[int]] = {"on": [], "off": []}
    for index in range(begin, end):
        start = origin + index * period
        inside = bisect.bisect_left(posts, start + period) - bisect.bisect_left(posts, start)
        committed = (index % 2 == 0) == first_on
        counts["on" if committed else "off"].append(inside)
    return counts


def pooled(runs: list[dict[str, list[int]]]) -> dict[str, Any]:
    """Both throughputs over the same number of slices of each kind from every run."""
    on: list[int] = []
    off: list[int] = []
    for counts in runs:
        slices = min(len(counts["on"]), len(counts["off"]))
        on += counts["on"][:slices]
        off += counts["off"][:slices]
    return {
        "slices": len(on),
        "period_seconds": PERIOD,
        "on_rate": round(sum(on) / (len(on) * PERIOD), 1),
        "off_rate": round(sum(off) / (len(off) * PERIOD), 1),
        "on_counts": on,
        "off_counts": off,
    }
