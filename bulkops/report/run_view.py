"""Runs for people and machines: a run's summary, its per-number outcomes, the list of runs.

JSON documents are plain dicts; terminal views are rich renderables. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bulkops.report.text import LIMIT, safe
from bulkops.run.journal import Entry, RunInfo
from bulkops.run.outcome import OUTCOMES, RunReport
from bulkops.tasks.model import task_json

CSV_FIELDS: Final = ("number", "rule", "action", "outcome", "attempts", "error", "changes")


def age(iso: str, now: datetime | None = None) -> str:
    """How long ago an ISO time was, the way a person says it: "3 min", "2 h 05 min", "4 d"."""
    then = datetime.fromisoformat(iso)
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d"


def outcome(entry: Entry) -> str:
    """A task's outcome as shown: an in-flight task is pending (resume checks it first)."""
    return "pending" if entry.state == "inflight" else entry.state


def resume_command(report: RunReport) -> str | None:
    return f"bulkops resume {report.run_id}" if report.resumable else None


def summary_json(report: RunReport) -> dict[str, Any]:
    """`apply --json` / `resume --json`: one object a cron wrapper can always parse."""
    elapsed = report.elapsed
    return {
        "run_id": report.run_id,
        "status": report.status,
        "counts": report.counts,
        "requests": report.requests,
        "retries": report.retries,
        "throttled": report.throttled,
        "elapsed_seconds": round(elapsed, 3),
        "requests_per_second": round(report.requests / elapsed, 2) if elapsed else None,
        "stop_reason": report.stop_reason,
        "resume": resume_command(report),
        "exit_code": int(report.exit_code),
    }


def render_summary(report: RunReport) -> RenderableType:
    c = report.counts
    outcomes = ", ".join(f"{c[name]} {name}" for name in OUTCOMES if c[name] or name != "gone")
    lines = [
        Text(f"run {report.run_id} {report.status}: {outcomes} (of {c['planned']} planned)"),
        Text(
            f"{report.requests} requests in {report.elapsed:.1f}s, {report.retries} retries, "
            f"{report.throttled} rate-limited (429)"
        ),
    ]
    if report.stop_reason and report.status == "stopped":
        lines.append(Text(f"stopped: {safe(report.stop_reason)}", style="red"))
    resume = resume_command(report)
    if resume:
        lines.append(Text(f"resume with: {resume}"))
    if c["failed"] or c["stale"]:
        lines.append(Text(f"see which numbers with: bulkops show {report.run_id}"))
    return Group(*lines)


def entry_json(entry: Entry) -> dict[str, Any]:
    """`show --json`: the shared task shape, plus what became of it."""
    return {
        **task_json(entry.task),
        "outcome": outcome(entry),
        "attempts": entry.attempts,
        "error": entry.error,
    }


def show_json(info: RunInfo, counts: dict[str, int], entries: Iterable[Entry]) -> dict[str, Any]:
    return {
        "run_id": info.id,
        "plan": info.plan_name,
        "status": info.status,
        "counts": counts,
        "tasks": [entry_json(entry) for entry in entries],
    }


def csv_rows(entries: Iterable[Entry]) -> Iterator[list[object]]:
    yield list(CSV_FIELDS)
    for entry in entries:
        task = entry.task
        row: list[object] = [task.number, task.rule, task.action, outcome(entry)]
        yield [*row, entry.attempts, entry.error or "", _changes_text(entry)]


def show_table(info: RunInfo, entries: Iterable[Entry]) -> RenderableType:
    table = Table(
        "number",
        "rule",
        "action",
        "outcome",
        "attempts",
        "changes",
        "error",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for entry in entries:
        task = entry.task
        table.add_row(
            Text(task.number),
            Text(task.rule),
            task.action,
            outcome(entry),
            str(entry.attempts),
            Text(safe(_changes_text(entry), limit=2 * LIMIT)),
            Text(safe(entry.error or "")),
        )
    heading = Text(f"run {info.id} ({safe(info.plan_name or info.source or '')}): {info.status}")
    return Group(heading, table)


def _changes_text(entry: Entry) -> str:
    return "; ".join(f"{c.field}: {c.before} -> {c.after}" for c in entry.task.changes)


def runs_json(runs: Iterable[tuple[RunInfo, dict[str, int], str]]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": info.id,
            "plan": info.plan_name or info.source,
            "started": info.created_at,
            "status": info.status,
            "account": info.auth_id,
            "counts": counts,
        }
        for info, counts, _shown in runs
    ]


def render_runs(runs: Iterable[tuple[RunInfo, dict[str, int], str]]) -> RenderableType:
    lines: list[RenderableType] = []
    for info, counts, shown in runs:
        started = info.created_at[:16].replace("T", " ")
        plan = safe(info.plan_name or info.source or "(unnamed plan)")
        lines.append(Text(f"{info.id}  {shown:<17} {started} UTC  {plan}"))
        lines.append(Text(f"    {_outcomes(counts)}"))
    return Group(*lines)


def _outcomes(counts: dict[str, int]) -> str:
    parts = [f"{counts[k]} {k}" for k in OUTCOMES if counts[k]]
    return f"{counts['planned']} planned: " + (", ".join(parts) or "nothing yet")
