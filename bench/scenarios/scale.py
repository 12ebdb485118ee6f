"""4. Scale: `plan` over large inventories, `apply` of 100k updates, `resume` after kill -9 at 50 %.

* plan: inventories of 10k, 100k and 300k numbers, no limit. Two plans each: one that updates
  every number (the worst case: every task is held for the diff, the fingerprint and the journal)
  and one that selects about 1 in 20 numbers on a condition Plivo cannot filter on (the listing
  still walks every number, so memory shows whether the listing streams).
* listing at the limit: `plan` of every number with the emulator at 300/5 and bulkops' defaults;
  pages are fetched 4 at a time, so the limit, not the round trip, sets the pace.
* apply: 100k updates, no limit; server-side throughput and the client's peak RSS.
* resume: the same apply, killed (SIGKILL) once half the updates were accepted, then `bulkops
  resume`: the time from launching it to its first request (and first update), and a check that
  no number was updated twice.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from bench.emulator import EmulatorProcess, EmulatorSpec
from bench.harness import (
    NO_LIMIT_RATE,
    ClientRun,
    Traffic,
    bulkops_apply,
    check_exit,
    client_run,
    write_plan,
)
from bench.processes import PYTHON
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context

NAME = "scale"
TITLE = "4 scale"
RSS_TARGET_MB = 250.0
LIMIT_PER_SECOND = 300 / 5
RATE_TARGET = 0.97
APPLY_CONCURRENCY = 16
# The condition Plivo cannot filter on (see bulkops.select.pushdown): listed in full, kept rarely.
SELECTIVE = '{application: "13094892674577059"}'


def plan_cmd(plan: Path, rate: str | None) -> list[str]:
    return [PYTHON, "-m", "bulkops", "plan", str(plan), *(["--rate", rate] if rate else [])]


def run(ctx: Context) -> ScenarioResult:
    sizes = [ctx.size(10_000, 2_000), ctx.size(100_000, 10_000), ctx.size(300_000, 30_000)]
    apply_size = ctx.size(100_000, 10_000)
    work = ctx.fresh_dir(NAME)
    rows: list[Row] = []
    details: dict[str, Any] = {"emulator_peak_rss_mb": {}}
    plans: dict[int, dict[str, ClientRun]] = {}
    for size in sizes:
        with EmulatorProcess(EmulatorSpec(numbers=size), work / f"emulator-{size}") as emulator:
            plans[size] = plan_runs(emulator, work / f"plan-{size}")
            if size == apply_size:
                rows += apply_and_resume(emulator, work / "apply", size, details)
        details["emulator_peak_rss_mb"][size] = round(emulator.peak_rss_mb, 1)
    rows[:0] = plan_rows(plans, sizes)
    rows.insert(2, listing_at_limit(ctx, work / "listing"))
    return ScenarioResult(NAME, TITLE, rows, details)


def plan_runs(emulator: EmulatorProcess, work: Path) -> dict[str, ClientRun]:
    runs: dict[str, ClientRun] = {}
    for kind, name, select in (("every number", "every", "{}"), ("1 in 20", "few", SELECTIVE)):
        plan = write_plan(work, name, "bench plan", select)
        runs[kind] = client_run(emulator, plan_cmd(plan, NO_LIMIT_RATE), work, timeout=900)
        check_exit(runs[kind].measured, f"bulkops plan ({kind})")
    return runs


def plan_rows(plans: dict[int, dict[str, ClientRun]], sizes: list[int]) -> list[Row]:
    largest = sizes[-1]
    rows = []
    for kind in ("every number", "1 in 20"):
        by_size = {size: plans[size][kind] for size in sizes}
        peaks = {size: run.measured.peak_rss_mb for size, run in by_size.items()}
        walls = {size: run.measured.wall for size, run in by_size.items()}
        growth = (peaks[largest] - peaks[sizes[0]]) / (largest - sizes[0]) * 1e6  # bytes/number
        pages = {size: _pages_per_second(run.rows) for size, run in by_size.items()}
        text = (
            "peak "
            + " / ".join(f"{peaks[size]:,.0f}" for size in sizes)
            + " MB in "
            + " / ".join(f"{walls[size]:.1f}" for size in sizes)
            + " s"
        )
        rows.append(
            Row(
                NAME,
                f"plan, {kind}",
                Params("/".join(f"{s // 1000}k" for s in sizes), "off", 0, 4),
                f"{text}; +{growth:,.0f} B per extra number; {pages[largest]:,.0f} pages/s",
                {
                    "wall_seconds": {s: round(w, 2) for s, w in walls.items()},
                    "peak_rss_mb": {s: round(p, 1) for s, p in peaks.items()},
                    "bytes_per_extra_number": round(growth),
                    "pages_per_second": {s: round(p, 1) for s, p in pages.items()},
                },
                target=f"peak ≤ {RSS_TARGET_MB:.0f} MB at {largest // 1000}k",
                passed=peaks[largest] <= RSS_TARGET_MB,
            )
        )
    return rows


def _pages_per_second(rows: list[dict[str, Any]]) -> float:
    gets = sorted(r["at"] for r in rows if r["method"] == "GET" and r["status"] == 200)
    return (len(gets) - 1) / (gets[-1] - gets[0]) if len(gets) > 1 else 0.0


def listing_at_limit(ctx: Context, work: Path) -> Row:
    size = ctx.size(10_000, 2_000)
    with EmulatorProcess(EmulatorSpec(numbers=size, rate_limit="300/5"), work) as emulator:
        plan = write_plan(work, "listing", "bench listing")
        run = client_run(emulator, plan_cmd(plan, None), work, timeout=size / 600 + 60)
    check_exit(run.measured, "bulkops plan at the limit")
    rate = _pages_per_second(run.rows)
    ratio = rate / LIMIT_PER_SECOND
    return Row(
        NAME,
        "listing at the limit (plan)",
        Params(size, "300/5", 0, 4),
        f"{rate:.2f} pages/s = {ratio:.3f} x limit, {run.traffic.throttled} x 429 "
        f"({len(run.rows)} pages in {run.measured.wall:.1f}s)",
        {**run.figures(), "pages_per_second": round(rate, 3), "ratio_to_limit": round(ratio, 4)},
        target=f"≥ {RATE_TARGET} x limit, no 429",
        passed=ratio >= RATE_TARGET and run.traffic.throttled == 0,
    )


def apply_and_resume(
    emulator: EmulatorProcess, work: Path, size: int, details: dict[str, Any]
) -> list[Row]:
    work.mkdir(parents=True, exist_ok=True)
    params = Params(size, "off", 0, APPLY_CONCURRENCY)
    plan = write_plan(work, "apply", "bench apply")
    cmd = bulkops_apply(plan, work / "state", rate=NO_LIMIT_RATE, concurrency=APPLY_CONCURRENCY)
    full = client_run(emulator, cmd, work, timeout=900)
    check_exit(full.measured, "bulkops apply")
    apply_row = Row(
        NAME,
        "apply, every number",
        params,
        f"peak {full.measured.peak_rss_mb:.0f} MB; {full.traffic.update_rate:,.0f} updates/s; "
        f"{full.measured.wall:.1f} s in all",
        full.figures(),
        target=f"peak ≤ {RSS_TARGET_MB:.0f} MB",
        passed=full.measured.peak_rss_mb <= RSS_TARGET_MB and full.traffic.updates == size,
    )
    return [apply_row, resume(emulator, work, size, params, details)]


def resume(
    emulator: EmulatorProcess, work: Path, size: int, params: Params, details: dict[str, Any]
) -> Row:
    plan = write_plan(work, "killed", "bench killed")
    state = work / "state-killed"
    cmd = bulkops_apply(plan, state, rate=NO_LIMIT_RATE, concurrency=APPLY_CONCURRENCY)
    halfway = UpdatesAccepted(emulator, size // 2)
    killed = client_run(emulator, cmd, work, timeout=900, kill_when=halfway)
    resume_cmd = [PYTHON, "-m", "bulkops", "resume", "--yes", "--json", "--state-dir", str(state)]
    resumed = client_run(emulator, resume_cmd, work, timeout=900)
    check_exit(resumed.measured, "bulkops resume")
    launched = resumed.measured.started
    first_any = min(r["at"] for r in resumed.rows) - launched
    first_post = min(r["at"] for r in resumed.rows if r["method"] == "POST") - launched
    checks = sum(1 for r in resumed.rows if r["method"] == "GET")
    twice = _updated_twice(emulator, "bench killed")
    before_kill = killed.traffic.updates
    done = before_kill + resumed.traffic.updates - twice
    details["resume"] = {
        "killed_after_updates": before_kill,
        "killed_run": killed.figures(),
        "resumed_run": resumed.figures(),
    }
    return Row(
        NAME,
        "resume after kill -9 at 50 %",
        params,
        f"first request {first_any:.2f} s after launch, first update {first_post:.2f} s "
        f"({checks} possibly sent tasks checked by GET); {before_kill:,} + "
        f"{resumed.traffic.updates:,} updates, {twice} numbers updated twice",
        {
            "seconds_to_first_request": round(first_any, 3),
            "seconds_to_first_update": round(first_post, 3),
            "inflight_checked": checks,
            "updated_before_kill": before_kill,
            "updated_by_resume": resumed.traffic.updates,
            "numbers_updated_twice": twice,
            "resume_peak_rss_mb": round(resumed.measured.peak_rss_mb, 1),
        },
        target="every number once, none twice",
        passed=twice == 0 and done == size,
    )


class UpdatesAccepted:
    """True once `count` updates were accepted since construction (polls the served log)."""

    def __init__(self, emulator: EmulatorProcess, count: int) -> None:
        self._emulator = emulator
        self._count = count
        self._cursor = emulator.stats()["requests"]
        self._seen = 0

    def __call__(self) -> bool:
        rows = self._emulator.served(self._cursor)
        self._cursor += len(rows)
        self._seen += Traffic.of(rows).updates
        return self._seen >= self._count


def _updated_twice(emulator: EmulatorProcess, prefix: str) -> int:
    mutations = emulator.mutations()
    counts = Counter(
        m["number"] for m in mutations if str(m["fields"].get("alias", "")).startswith(prefix)
    )
    return sum(1 for n in counts.values() if n > 1)
