"""2. Engine overhead: bulkops (journal on) against a raw aiohttp loop making the same requests.

No rate limit, no latency: whatever the two processes on this machine can push. Both list every
number (4 pages at a time) and then update every alias with the same concurrency; throughput is
the server-side rate of accepted updates. Runs alternate (raw, bulkops, raw, bulkops) and the
best of each is kept, so a noisy moment hurts neither side alone. A last run of bulkops in-process
under cProfile shows where its time goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import profile_areas
from bench.harness import (
    NO_LIMIT_RATE,
    PYTHON,
    ClientRun,
    EmulatorProcess,
    EmulatorSpec,
    bulkops_apply,
    check_exit,
    client_run,
    write_plan,
)
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context

NAME = "overhead"
TITLE = "2 engine overhead"
CONCURRENCY = 16
TARGET = 0.7


def raw_loop(emulator: EmulatorProcess, work: Path, label: str) -> ClientRun:
    cmd = [PYTHON, "-m", "bench.rawloop", "--concurrency", str(CONCURRENCY)]
    run = client_run(emulator, [*cmd, "--alias-prefix", label], work, timeout=600)
    check_exit(run.measured, "the raw loop")
    return run


def bulkops(emulator: EmulatorProcess, work: Path, label: str, extra: list[str]) -> ClientRun:
    plan = write_plan(work, label, label)
    cmd = bulkops_apply(
        plan, work / f"state-{label}", rate=NO_LIMIT_RATE, concurrency=CONCURRENCY, extra=extra
    )
    run = client_run(emulator, cmd, work, timeout=600)
    check_exit(run.measured, "bulkops apply")
    return run


def profile(emulator: EmulatorProcess, work: Path) -> dict[str, Any]:
    """bulkops apply in one process under cProfile, against the emulator process."""
    plan = write_plan(work, "profiled", "bench profiled")
    out = work / "apply.pstats"
    args = bulkops_apply(
        plan, work / "state-profiled", rate=NO_LIMIT_RATE, concurrency=CONCURRENCY
    )[3:]  # drop "python -m bulkops"
    run = client_run(emulator, [PYTHON, "-m", "bench.profiled", str(out), *args], work, timeout=900)
    check_exit(run.measured, "bulkops apply under cProfile")
    return profile_areas.summarise(str(out))


def best(runs: list[ClientRun]) -> ClientRun:
    return max(runs, key=lambda run: run.traffic.update_rate)


def run(ctx: Context) -> ScenarioResult:
    numbers = ctx.size(20000, 3000)
    rounds = ctx.size(2, 1)
    work = ctx.fresh_dir(NAME)
    params = Params(numbers, "off", 0, CONCURRENCY)
    raws: list[ClientRun] = []
    ours: list[ClientRun] = []
    with EmulatorProcess(EmulatorSpec(numbers=numbers), work / "emulator") as emulator:
        for index in range(rounds):
            raws.append(raw_loop(emulator, work, f"raw{index}"))
            ours.append(bulkops(emulator, work, f"bulkops{index}", []))
        areas = profile(emulator, work)
    raw, our = best(raws), best(ours)
    ratio = our.traffic.update_rate / raw.traffic.update_rate
    rows = [
        Row(NAME, "raw aiohttp loop", params, _describe(raw), _figures(raws)),
        Row(
            NAME,
            "bulkops apply, journal on",
            params,
            f"{_describe(our)}; = {ratio:.2f} × raw",
            {**_figures(ours), "ratio_to_raw": round(ratio, 3)},
            target=f"≥ {TARGET} × raw",
            passed=ratio >= TARGET,
        ),
        Row(NAME, "bulkops under cProfile", params, _areas_text(areas), {"profile": areas}),
    ]
    return ScenarioResult(NAME, TITLE, rows, details={"profile": areas})


def _describe(run: ClientRun) -> str:
    return (
        f"{run.traffic.update_rate:,.0f} updates/s; client CPU "
        f"{run.client_cpu_ms_per_request:.3f} ms/req, emulator "
        f"{run.emulator_cpu_ms_per_request:.3f} ms/req"
    )


def _figures(runs: list[ClientRun]) -> dict[str, Any]:
    return {"best": best(runs).figures(), "runs": [run.figures() for run in runs]}


def _areas_text(summary: dict[str, Any]) -> str:
    parts = [
        f"{area['area'].split(' (')[0].split(':')[0]} {area['busy_share']:.0%}"
        for area in summary["areas"]
        if area["busy_share"] is not None and area["busy_share"] >= 0.005
    ]
    return "busy time: " + ", ".join(parts)
