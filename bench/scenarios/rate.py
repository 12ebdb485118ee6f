"""1. Rate fidelity: `bulkops apply` against Plivo's documented limit, measured by the server.

The emulator enforces 300 requests in any 5 s window (a sliding window, as strict as Plivo's
documented limit can be read). bulkops runs with its defaults (59 requests/s; in flight:
rate x round trip, up to 64).
Achieved rate = accepted updates over the span of their timestamps, divided by 60/s.
"""

from __future__ import annotations

from bench.emulator import EmulatorProcess, EmulatorSpec
from bench.harness import bulkops_apply, check_exit, client_run, write_plan
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context

NAME = "rate"
TITLE = "1 rate fidelity"
LIMIT_PER_SECOND = 300 / 5
CONCURRENCY = None  # bulkops' default: in flight follows latency, up to 64
TARGET = 0.97


def run(ctx: Context) -> ScenarioResult:
    numbers = ctx.size(3000, 600)
    work = ctx.fresh_dir(NAME)
    spec = EmulatorSpec(numbers=numbers, rate_limit="300/5")
    plan = write_plan(work, "rate", "bench rate")
    with EmulatorProcess(spec, work / "emulator") as emulator:
        cmd = bulkops_apply(plan, work / "state", rate=None, concurrency=CONCURRENCY)
        run = client_run(emulator, cmd, work, timeout=numbers / 20 + 60)
    check_exit(run.measured, "bulkops apply")
    traffic, rows = run.traffic, run.rows
    accepted = sorted(r["at"] for r in rows if r["status"] != 429)
    overall = (len(accepted) - 1) / (accepted[-1] - accepted[0]) if len(accepted) > 1 else 0.0
    ratio = traffic.update_rate / LIMIT_PER_SECOND
    report = run.measured.json()
    passed = ratio >= TARGET and traffic.throttled == 0 and traffic.updates == numbers
    row = Row(
        scenario=NAME,
        case="bulkops apply (defaults)",
        params=Params(numbers, "300/5", 0, "auto ≤ 64"),
        measured=(
            f"{traffic.update_rate:.2f} updates/s = {ratio:.3f} x limit, "
            f"{traffic.throttled} x 429, {traffic.updates:,}/{numbers:,} done "
            f"(all requests, listing too: {overall / LIMIT_PER_SECOND:.3f} x limit)"
        ),
        figures={
            "ratio_to_limit": round(ratio, 4),
            "all_requests": len(accepted),
            "all_requests_ratio_to_limit": round(overall / LIMIT_PER_SECOND, 4),
            **run.figures(),
            "bulkops_report": report,
        },
        target=f"≥ {TARGET} x limit, no 429",
        passed=passed,
    )
    return ScenarioResult(NAME, TITLE, [row])
