"""Runs for people and machines: a run's summary, its per-number outcomes, the list of runs.

JSON documents are plain dicts; terminal views are rich renderables. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bulkops.report.diff import change_text
from bulkops.report.text import safe
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
    lines = [
        Text(f"run {report.run_id} {report.status}: {_came_to(c)}"),
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


def _came_to(c: dict[str, int]) -> str:
    if not c["planned"]:
        return "nothing was planned (the plan selected no numbers)"
    outcomes = ", ".join(f"{c[name]} {name}" for name in OUTCOMES if c[name] or name != "gone")
    if not (c["succeeded"] or c["failed"] or c["pending"] or c["gone"]):
        return f"nothing needed changing: {outcomes} (of {c['planned']} planned)"
    return f"{outcomes} (of {c['planned']} planned)"


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


def show_table(info: RunInfo, entries: Iterable[Entry], *, width: int = 120) -> RenderableType:
    """`show` for a terminal `width` wide: a table, or one block per task where a table would
    have to cut a number or an id. Nothing is ever truncated: long values wrap.
    """
    heading = Text(f"run {info.id} ({safe(info.plan_name or info.source or '')}): {info.status}")
    rows = list(entries)
    if not rows:
        return Group(heading, Text("nothing was planned in this run"))
    widths = _Widths.of(rows)
    # Each change on one line if the terminal allows; else wrapped between words; else blocks.
    for changes in (widths.longest_change, widths.longest_word):
        if widths.table(changes) <= width:
            error = width - widths.table(changes) + ERROR_MIN
            return Group(heading, _outcome_table(rows, changes, error))
    return Group(heading, *(_outcome_block(entry) for entry in rows))


_HEADINGS: Final = ("number", "rule", "action", "outcome", "attempts", "before → after", "error")
ERROR_MIN: Final = 16  # the error column wraps its text, but no narrower than this
# Between columns: a space of box and one of padding each side; and the two outer edges.
_GUTTERS: Final = 3 * (len(_HEADINGS) - 1) + 2


def _cells(entry: Entry) -> tuple[str, ...]:
    task = entry.task
    return (task.number, task.rule, task.action, outcome(entry), str(entry.attempts))


@dataclass(frozen=True)
class _Widths:
    """What the table's columns need to show every number and id whole."""

    fixed: int  # the columns that never wrap, together
    longest_change: int
    longest_word: int

    @classmethod
    def of(cls, rows: list[Entry]) -> _Widths:
        fixed = [len(heading) for heading in _HEADINGS[:5]]
        line = word = len(_HEADINGS[5])
        for entry in rows:
            fixed = [max(have, len(cell)) for have, cell in zip(fixed, _cells(entry), strict=True)]
            for change in entry.task.changes:
                plain = change_text(change).plain
                line = max(line, len(plain))
                word = max(word, *(len(part) for part in plain.split()))
        return cls(sum(fixed), line, word)

    def table(self, changes: int) -> int:
        return self.fixed + changes + ERROR_MIN + _GUTTERS


def _outcome_table(rows: list[Entry], changes_width: int, error_width: int) -> Table:
    # Widths set, not left to rich: a table it must squeeze has its cells cropped, not wrapped.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for heading in _HEADINGS[:5]:
        table.add_column(heading, no_wrap=True)
    table.add_column(_HEADINGS[5], width=changes_width, overflow="fold")
    table.add_column(_HEADINGS[6], width=error_width, overflow="fold")
    for entry in rows:
        table.add_row(
            *(Text(cell, style="cyan" if i == 1 else "") for i, cell in enumerate(_cells(entry))),
            _changes(entry, "\n"),
            Text(safe(entry.error or "")),
        )
    return table


def _outcome_block(entry: Entry) -> Text:
    task = entry.task
    attempts = f"{entry.attempts} attempt" + ("" if entry.attempts == 1 else "s")
    text = Text(task.number, style="bold")
    text.append(f"  {outcome(entry)}  ")
    text.append(task.rule, style="cyan")
    text.append(f" · {task.action} · {attempts}")
    changes = _changes(entry, "\n  ")
    if changes:
        text.append("\n  ")
        text.append_text(changes)
    if entry.error:
        text.append(f"\n  error: {safe(entry.error)}", style="red")
    return text


def _changes(entry: Entry, between: str) -> Text:
    """The task's changes with the symbols `plan` uses (∅, →), one per line."""
    return Text(between).join(change_text(change) for change in entry.task.changes)


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
    if not counts["planned"]:
        return "nothing planned"
    parts = [f"{counts[k]} {k}" for k in OUTCOMES if counts[k]]
    return f"{counts['planned']} planned: " + ", ".join(parts)
