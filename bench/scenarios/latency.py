"""6. Latency sweep: updates and listing pages at Plivo's limit, with the round trip far away.

The emulator enforces 300 requests in any 5 s window and answers each request after 0, 100, 250
or 500 ms, spread ±20 % (jitter). bulkops runs with its defaults (59 requests/s; in flight:
rate x recent round trip with headroom, up to 64). Per latency: `bulkops plan` of every number
of a larger inventory (listing pages/s over its span) and `bulkops apply` of every number of a
smaller one (accepted updates/s), both as a fraction of 60/s. Rates are sustained ones, from one
jitter width after the first arrival to one before the last (`harness.sustained_rate`: jitter
makes the server see a run's first requests early and its last ones late, a smear that is no
part of the pace); first-to-last is shown beside. Pages are counted from the second one: the
first must come back alone (it carries the total the others are planned from), a gap of one
round trip at the start of any listing, whatever its length. At 250 ms the old fixed pool
(`--concurrency 8`) runs too, side by side, to show what the allowance buys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.emulator import EmulatorProcess, EmulatorSpec
from bench.harness import (
    ClientRun,
    bulkops_apply,
    check_exit,
    client_run,
    first_to_last_rate,
    sustained_rate,
    write_plan,
)
from bench.processes import PYTHON
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context

NAME = "latency"
TITLE = "6 latency sweep"
LIMIT_PER_SECOND = 300 / 5
TARGET = 0.97
JITTER = 0.2
LATENCIES = (0.0, 0.1, 0.25, 0.5)
OLD_FIXED = 8  # the fixed pool bulkops had before the in-flight allowance


def run(ctx: Context) -> ScenarioResult:
    updates = ctx.size(1500, 400)
    listed = ctx.size(12000, 2000)  # 600 pages: a rate over 10 s, not 5 (±0.4 %, not ±0.7 %)
    work = ctx.fresh_dir(NAME)
    rows: list[Row] = []
    for latency in LATENCIES:
        rows += sweep_point(work / f"at-{int(latency * 1000)}", latency, updates, listed, None)
    if not ctx.quick:
        rows += sweep_point(work / "fixed-8", 0.25, updates, listed, OLD_FIXED)
    return ScenarioResult(NAME, TITLE, rows)


def sweep_point(
    work: Path, latency: float, updates: int, listed: int, concurrency: int | None
) -> list[Row]:
    label = "defaults" if concurrency is None else f"--concurrency {concurrency} (old fixed pool)"
    conc = "auto ≤ 64" if concurrency is None else concurrency
    rows: list[Row] = []
    params = Params(f"{updates:,} / {listed:,}", "300/5", int(latency * 1000), conc)
    # `plan` takes no --concurrency (its limits come from the plan): the listing row is only
    # made with the defaults.
    if concurrency is None:
        spec = EmulatorSpec(
            numbers=listed, rate_limit="300/5", latency=latency, latency_jitter=JITTER
        )
        with EmulatorProcess(spec, work / "listing") as emulator:
            plan = write_plan(work, "listing", "bench listing")
            cmd = [PYTHON, "-m", "bulkops", "plan", str(plan)]
            listing = client_run(emulator, cmd, work, timeout=listed / 15 + 120)
        check_exit(listing.measured, "bulkops plan")
        rows.append(_pages_row(listing, params, label, _smear(latency), True))
    spec = EmulatorSpec(numbers=updates, rate_limit="300/5", latency=latency, latency_jitter=JITTER)
    with EmulatorProcess(spec, work / "apply") as emulator:
        plan = write_plan(work, "apply", "bench latency")
        cmd = bulkops_apply(plan, work / "state", rate=None, concurrency=concurrency)
        applied = client_run(emulator, cmd, work, timeout=updates / 15 + 120)
    check_exit(applied.measured, "bulkops apply")
    rows.append(_updates_row(applied, params, label, updates, _smear(latency), concurrency is None))
    return rows


def _smear(latency: float) -> float:
    """How far apart the emulator's delays spread: the edges a sustained rate leaves out."""
    return 2 * latency * JITTER


def _pages_row(run: ClientRun, params: Params, label: str, smear: float, judged: bool) -> Row:
    gets = sorted(r["at"] for r in run.rows if r["method"] == "GET" and r["status"] == 200)[1:]
    rate, whole = sustained_rate(gets, smear), first_to_last_rate(gets)
    ratio = rate / LIMIT_PER_SECOND
    throttled = run.traffic.throttled
    return Row(
        NAME,
        f"listing pages ({label}), ±{JITTER:.0%} jitter",
        params,
        f"{rate:.2f} pages/s sustained = {ratio:.3f} x limit, {throttled} x 429 (pages "
        f"2-{len(gets) + 1}; first to last {whole / LIMIT_PER_SECOND:.3f} x limit)",
        {
            **run.figures(),
            "pages_per_second": round(rate, 3),
            "ratio_to_limit": round(ratio, 4),
            "first_to_last_ratio": round(whole / LIMIT_PER_SECOND, 4),
        },
        target=f"≥ {TARGET} x limit, no 429" if judged else "",
        passed=(ratio >= TARGET and throttled == 0) if judged else None,
    )


def _updates_row(
    run: ClientRun, params: Params, label: str, size: int, smear: float, judged: bool
) -> Row:
    traffic = run.traffic
    rate = sustained_rate(traffic.update_times, smear)
    ratio = rate / LIMIT_PER_SECOND
    whole = traffic.update_rate / LIMIT_PER_SECOND
    figures: dict[str, Any] = {
        **run.figures(),
        "ratio_to_limit": round(ratio, 4),
        "first_to_last_ratio": round(whole, 4),
    }
    ok = ratio >= TARGET and traffic.throttled == 0 and traffic.updates == size
    return Row(
        NAME,
        f"updates ({label}), ±{JITTER:.0%} jitter",
        params,
        f"{rate:.2f} updates/s sustained = {ratio:.3f} x limit, {traffic.throttled} x 429, "
        f"{traffic.updates:,}/{size:,} done (first to last {whole:.3f} x limit)",
        figures,
        target=f"≥ {TARGET} x limit, no 429" if judged else "",
        passed=ok if judged else None,
    )
