"""7. Request efficiency: requests sent ÷ the fewest a client could send for the same result.

The fewest: every listing's pages once (the pushed-down filters, with their totals as the
server reported them in the saved plan's `queries`), one request per change; for a re-read
(saved-plan drift check, resume's re-check) the cheaper of one GET per task and those pages
again. The look before each unrent (a GET right before its DELETE, a safety check and not a
need) is counted apart, as its own row, and left out of the minimum.

Cases: the three example jobs in plans/ (`bulkops apply` of each against a 20,000-number
account, no rate limit: counts do not depend on pace); a saved plan of about 2,000 tasks in
that account (`plan --out`, then `apply` of the file); the same apply killed (SIGKILL) half
way, then `bulkops resume`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.emulator import EmulatorProcess, EmulatorSpec
from bench.harness import NO_LIMIT_RATE, ClientRun, check_exit, client_run
from bench.processes import PYTHON, ROOT
from bench.results import Params, Row, ScenarioResult
from bench.scenarios import Context
from bench.scenarios.scale import UpdatesAccepted

NAME = "efficiency"
TITLE = "7 request efficiency"
TARGET = 1.05  # sent ÷ minimum, unrent looks aside
JOBS = ("reassign-to-ivr", "migrate-subaccount", "cleanup-unused")
NO_HISTORY = frozenset({"cleanup-unused"})
# About 1 in 10 numbers: a saved plan of ~2,000 tasks in 20,000 numbers (the case).
SAVED_PLAN = """\
version: 1
name: bench-saved
rules:
  - name: label-tollfree
    select: {type: tollfree}
    update: {alias: "bench saved {number}"}
"""


def run(ctx: Context) -> ScenarioResult:
    size = ctx.size(20_000, 4_000)
    work = ctx.fresh_dir(NAME)
    rows: list[Row] = []
    for job in JOBS:
        # Without a call and message history: the cleanup's usage reads are then a few probes.
        # With one, the Message list's own limit (20 a minute) would make it a 20-minute run;
        # what usage reads cost is measured by the usage tests (first and next night).
        spec = EmulatorSpec(numbers=size, traffic=job not in NO_HISTORY)
        with EmulatorProcess(spec, work / job / "emulator") as emulator:
            rows += job_rows(emulator, work / job, ROOT / "plans" / f"{job}.yaml", size)
    with EmulatorProcess(EmulatorSpec(numbers=size), work / "saved" / "emulator") as emulator:
        rows.append(saved_plan_row(emulator, work / "saved", size))
    with EmulatorProcess(EmulatorSpec(numbers=size), work / "resume" / "emulator") as emulator:
        rows.append(resume_row(emulator, work / "resume", size))
    return ScenarioResult(NAME, TITLE, rows)


def bulkops(*args: str | Path) -> list[str]:
    return [PYTHON, "-m", "bulkops", *map(str, args), "--rate", NO_LIMIT_RATE]


def saved_queries(path: Path) -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(path.read_text())["queries"]
    return queries


def pages(queries: list[dict[str, Any]]) -> int:
    return sum(max(1, math.ceil(q["total_count"] / 20)) for q in queries)


def by_kind(run: ClientRun) -> dict[str, int]:
    """Requests served, by what they were: list pages, single GETs, POSTs, DELETEs."""
    kinds = {"list": 0, "get": 0, "usage": 0, "post": 0, "delete": 0}
    for row in run.rows:
        path = row["path"].split("?")[0]
        if row["method"] == "GET" and path.endswith(("/Call/", "/Message/")):
            kinds["usage"] += 1
        elif row["method"] == "GET":
            kinds["list" if path.endswith("/Number/") else "get"] += 1
        else:
            kinds[row["method"].lower()] = kinds.get(row["method"].lower(), 0) + 1
    return kinds


def job_rows(emulator: EmulatorProcess, work: Path, plan: Path, size: int) -> list[Row]:
    work.mkdir(parents=True, exist_ok=True)
    saved = work / "reviewed.json"
    reviewed = client_run(emulator, bulkops("plan", plan, "--out", saved), work, timeout=600)
    check_exit(reviewed.measured, f"bulkops plan {plan.name}")
    state = work / "state"
    cmd = bulkops("apply", plan, "--yes", "--json", "--state-dir", state, "--max-changes", "100000")
    applied = client_run(emulator, cmd, work, timeout=600)
    check_exit(applied.measured, f"bulkops apply {plan.name}", allowed=(0, 1))
    kinds = by_kind(applied)
    listing = pages(saved_queries(saved))
    changes = kinds["post"] + kinds["delete"]
    looks = kinds["get"] if kinds["delete"] else 0
    minimum = listing + changes
    sent = applied.traffic.requests - looks - kinds["usage"]
    ratio = sent / max(minimum, 1)
    params = Params(size, "off", 0, "auto")
    rows = [
        Row(
            NAME,
            f"job {plan.stem}: apply",
            params,
            f"{sent:,} sent / {minimum:,} needed = {ratio:.3f} ({kinds['list']} list pages for "
            f"{listing} needed, {kinds['get'] - looks} GETs, {changes:,} changes"
            + (f"; besides, {kinds['usage']} usage reads" if kinds["usage"] else "")
            + ")",
            {"sent": sent, "minimum": minimum, "ratio": round(ratio, 4), "by_kind": kinds},
            target=f"≤ {TARGET}",
            passed=ratio <= TARGET,
        )
    ]
    if kinds["delete"]:
        rows.append(unrent_row(kinds, applied, params, plan.stem))
    return rows


def unrent_row(kinds: dict[str, int], run: ClientRun, params: Params, job: str) -> Row:
    looks, deletes = kinds["get"], kinds["delete"]
    share = looks / max(run.traffic.requests, 1)
    return Row(
        NAME,
        f"job {job}: the look before each unrent",
        params,
        f"{looks:,} GETs for {deletes:,} DELETEs = {looks / max(deletes, 1):.2f} per unrent, "
        f"{share:.0%} of the run's requests; never a listing (one number, right before its "
        "DELETE: its GET is the cheapest fresh read)",
        {"looks": looks, "deletes": deletes, "share_of_requests": round(share, 4)},
        target="≤ 1 GET per unrent",
        passed=looks <= deletes,
    )


def saved_plan_row(emulator: EmulatorProcess, work: Path, size: int) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    plan, saved = work / "saved.yaml", work / "reviewed.json"
    plan.write_text(SAVED_PLAN)
    reviewed = client_run(emulator, bulkops("plan", plan, "--out", saved), work, timeout=600)
    check_exit(reviewed.measured, "bulkops plan --out")
    tasks = len(json.loads(saved.read_text())["tasks"])
    cmd = bulkops("apply", saved, "--yes", "--json", "--state-dir", work / "state")
    applied = client_run(emulator, cmd, work, timeout=600)
    check_exit(applied.measured, "bulkops apply SAVED")
    kinds = by_kind(applied)
    listing = pages(saved_queries(saved))
    check = kinds["list"] + kinds["get"]
    minimum = min(tasks, listing) + kinds["post"]
    ratio = applied.traffic.requests / minimum
    return Row(
        NAME,
        "saved plan: apply of the file",
        Params(size, "off", 0, "auto"),
        f"drift check of {tasks:,} tasks in {check} requests ({kinds['list']} list pages, "
        f"{kinds['get']} GETs; a whole-account listing: {size // 20 + 1}); "
        f"{applied.traffic.requests:,} sent / {minimum:,} needed = {ratio:.3f}",
        {
            "tasks": tasks,
            "check_requests": check,
            "sent": applied.traffic.requests,
            "minimum": minimum,
            "ratio": round(ratio, 4),
            "by_kind": kinds,
            "plan_requests": reviewed.traffic.requests,
        },
        target=f"≤ {TARGET}",
        passed=ratio <= TARGET,
    )


def resume_row(emulator: EmulatorProcess, work: Path, size: int) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    plan, state = work / "saved.yaml", work / "state"
    plan.write_text(SAVED_PLAN.replace("bench saved", "bench resumed"))
    reviewed = client_run(
        emulator, bulkops("plan", plan, "--out", work / "r.json"), work, timeout=600
    )
    check_exit(reviewed.measured, "bulkops plan --out")
    queries = saved_queries(work / "r.json")
    total = sum(q["total_count"] for q in queries)
    halfway = UpdatesAccepted(emulator, total // 2)
    cmd = bulkops("apply", plan, "--yes", "--json", "--state-dir", state, "--concurrency", "4")
    client_run(emulator, cmd, work, timeout=600, kill_when=halfway)
    resume = [PYTHON, "-m", "bulkops", "resume", "--yes", "--json", "--state-dir", str(state)]
    resumed = client_run(emulator, resume, work, timeout=600)
    check_exit(resumed.measured, "bulkops resume")
    kinds = by_kind(resumed)
    left = kinds["post"]
    check = kinds["list"] + kinds["get"]
    minimum = min(left, pages(queries)) + left
    ratio = resumed.traffic.requests / max(minimum, 1)
    return Row(
        NAME,
        "resume after kill -9 half way",
        Params(size, "off", 0, "auto (≤ 4)"),
        f"re-check of {left:,} tasks left in {check} requests ({kinds['list']} list pages, "
        f"{kinds['get']} GETs); {resumed.traffic.requests:,} sent / {minimum:,} needed = "
        f"{ratio:.3f}",
        {
            "left": left,
            "check_requests": check,
            "sent": resumed.traffic.requests,
            "minimum": minimum,
            "ratio": round(ratio, 4),
            "by_kind": kinds,
        },
        target=f"≤ {TARGET}",
        passed=ratio <= TARGET,
    )
