"""5. Checkpoint cost: the same run with the journal committing, and with its commits stubbed out.

`bulkops apply --bench-no-commit` (hidden, benchmark-only) replaces the journal writes of the run
with a no-op; everything else is identical. No rate limit, no latency, so the journal's cost is
not hidden behind waiting. Runs alternate and the best of each is kept.
"""

from __future__ import annotations

from bench.harness import ClientRun, EmulatorProcess, EmulatorSpec
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context
from bench.scenarios.overhead import CONCURRENCY, best, bulkops

NAME = "checkpoint"
TITLE = "5 checkpoint cost"
TARGET = 0.10


def run(ctx: Context) -> ScenarioResult:
    numbers = ctx.size(20000, 3000)
    rounds = ctx.size(2, 1)
    work = ctx.fresh_dir(NAME)
    params = Params(numbers, "off", 0, CONCURRENCY)
    journaled: list[ClientRun] = []
    stubbed: list[ClientRun] = []
    with EmulatorProcess(EmulatorSpec(numbers=numbers), work / "emulator") as emulator:
        for index in range(rounds):
            stubbed.append(bulkops(emulator, work, f"stubbed{index}", ["--bench-no-commit"]))
            journaled.append(bulkops(emulator, work, f"journaled{index}", []))
    on, off = best(journaled), best(stubbed)
    overhead = 1 - on.traffic.update_rate / off.traffic.update_rate
    cpu_overhead = on.client_cpu_ms_per_request / off.client_cpu_ms_per_request - 1
    rows = [
        Row(
            NAME,
            "journal commits stubbed out",
            params,
            f"{off.traffic.update_rate:,.0f} updates/s; client CPU "
            f"{off.client_cpu_ms_per_request:.3f} ms/req",
            {"best": off.figures(), "runs": [r.figures() for r in stubbed]},
        ),
        Row(
            NAME,
            "journal on (default)",
            params,
            f"{on.traffic.update_rate:,.0f} updates/s; client CPU "
            f"{on.client_cpu_ms_per_request:.3f} ms/req; overhead {overhead:.1%} "
            f"(CPU {cpu_overhead:+.1%})",
            {
                "best": on.figures(),
                "runs": [r.figures() for r in journaled],
                "throughput_overhead": round(overhead, 4),
                "cpu_overhead": round(cpu_overhead, 4),
            },
            target=f"≤ {TARGET:.0%} overhead",
            passed=overhead <= TARGET,
        ),
    ]
    return ScenarioResult(NAME, TITLE, rows)
