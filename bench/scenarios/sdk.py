"""3. Against the official SDK: 2,000 alias updates at Plivo's limit with 50 ms of latency each.

Three clients, each against a fresh emulator (a fresh 5 s window): (a) a plain sequential loop
over the `plivo` SDK, (b) the SDK in a thread pool of 8, (c) `bulkops apply` with its defaults.
Each lists the numbers first, as a script would. "Done" is what the server accepted; the speed
compared is the time until every number was updated, which a client that gives up on a 429 never
reaches: for it, the table shows what it achieved and what happened at its first 429.
"""

from __future__ import annotations

from typing import Any

from bench.emulator import EmulatorProcess, EmulatorSpec
from bench.harness import (
    ClientRun,
    bulkops_apply,
    check_exit,
    client_run,
    write_plan,
)
from bench.processes import PYTHON
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context

NAME = "sdk"
TITLE = "3 vs official SDK"
LATENCY = 0.05
LIMIT = "300/5"
LIMIT_PER_SECOND = 300 / 5
POOL = 8
BULKOPS_CONCURRENCY = None  # bulkops' default: in flight follows latency, up to 64
RATE_TARGET = 0.97


def run(ctx: Context) -> ScenarioResult:
    numbers = ctx.size(2000, 300)
    work = ctx.fresh_dir(NAME)
    spec = EmulatorSpec(numbers=numbers, rate_limit=LIMIT, latency=LATENCY)

    def fresh(label: str, cmd: list[str]) -> ClientRun:
        with EmulatorProcess(spec, work / f"emulator-{label}") as emulator:
            return client_run(emulator, cmd, work, timeout=numbers * 0.2 + 120)

    sdk = [PYTHON, "-m", "bench.sdkloop", "--alias-prefix"]
    sequential = fresh("sequential", [*sdk, "sdk seq", "--threads", "1"])
    pooled = fresh("pool", [*sdk, "sdk pool", "--threads", str(POOL)])
    plan = write_plan(work, "sdk", "bench sdk")
    ours = fresh(
        "bulkops",
        bulkops_apply(plan, work / "state", rate=None, concurrency=BULKOPS_CONCURRENCY),
    )
    for done, what in ((sequential, "sequential SDK"), (pooled, "SDK pool"), (ours, "bulkops")):
        check_exit(done.measured, what)
    return ScenarioResult(NAME, TITLE, _rows(numbers, sequential, pooled, ours))


def _rows(numbers: int, sequential: ClientRun, pooled: ClientRun, ours: ClientRun) -> list[Row]:
    def params(concurrency: int | str) -> Params:
        return Params(numbers, LIMIT, round(LATENCY * 1000), concurrency)

    ours_time = ours.measured.wall
    ratio = ours.traffic.update_rate / LIMIT_PER_SECOND
    complete = ours.traffic.updates == numbers and ours.traffic.throttled == 0
    faster_than_sequential = _finished(sequential, numbers) and sequential.measured.wall > ours_time
    pool_done = _finished(pooled, numbers)
    faster_than_pool = not pool_done or pooled.measured.wall > ours_time
    return [
        _sdk_row(sequential, "(a) SDK, sequential loop", params(1), numbers, ours_time),
        _sdk_row(pooled, f"(b) SDK, thread pool of {POOL}", params(POOL), numbers, ours_time),
        Row(
            NAME,
            "(c) bulkops apply (defaults)",
            params("auto ≤ 64"),
            f"{ours.traffic.updates:,}/{numbers:,} done in {ours_time:.1f} s; "
            f"{ours.traffic.update_rate:.1f} updates/s = {ratio:.3f} x limit, "
            f"{ours.traffic.throttled} x 429",
            {**ours.figures(), "ratio_to_limit": round(ratio, 4)},
            target="at the limit, every number done, faster than (a) and (b)",
            passed=complete
            and ratio >= RATE_TARGET
            and faster_than_sequential
            and faster_than_pool,
        ),
    ]


def _finished(run: ClientRun, numbers: int) -> bool:
    return run.traffic.updates == numbers


def _sdk_row(run: ClientRun, case: str, params: Params, numbers: int, ours: float) -> Row:
    result: dict[str, Any] = run.measured.json()
    updated = run.traffic.updates
    if _finished(run, numbers):
        speed = (
            f"{numbers:,}/{numbers:,} done in {run.measured.wall:.1f} s "
            f"({run.measured.wall / ours:.2f} x bulkops' time)"
        )
    else:
        speed = f"{updated:,}/{numbers:,} done in {run.measured.wall:.1f} s"
    if result["first_429_after"] is None:
        at_429 = "never reached the limit: no 429"
    else:
        at_429 = (
            f"first 429 after {result['first_429_after']:,} updates, "
            f"{result['first_429_seconds']:.1f} s in: {result['first_429_message']}; "
            f"no retry, so {result['throttled']:,} updates lost"
        )
    rate = run.traffic.update_rate
    return Row(
        NAME,
        case,
        params,
        f"{speed}; {rate:.1f} accepted updates/s; {at_429}",
        {**run.figures(), "sdk": result},
    )
