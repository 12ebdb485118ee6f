"""A run's revert for people and machines: the plan diff, then what cannot be put back.

The diff is `plan`'s own view, and the JSON is `plan --json`'s document with the revert's own keys
added (`run`, `unrented`, `unrestorable`, `notes`). Nothing here prints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from rich.console import Group, RenderableType
from rich.text import Text

from bulkops.report.diff import NOTHING, UNRENT_STATE, plan_to_json, render_plan
from bulkops.report.run_view import age
from bulkops.report.text import safe
from bulkops.run.journal import RunInfo
from bulkops.tasks.model import before_state
from bulkops.tasks.revert import RECLAIM_DAYS, Revert, reclaim_until

CONSOLE_NOTE: Final = (
    "Unrented numbers cannot be restored through the Number API, and bulkops buys nothing. "
    f"Plivo's console can reclaim a number unrented in the last {RECLAIM_DAYS} days "
    "(self-service, per Plivo's support pages)."
)
NUMBERS_SHOWN: Final = 5  # numbers named per unrestorable field; --json has them all


def revert_json(
    revert: Revert, info: RunInfo, counts: Mapping[str, int], now: datetime
) -> dict[str, Any]:
    """`revert --json`: the `plan --json` document of the revert, and what it cannot undo."""
    doc = plan_to_json(revert.task_list)
    doc["run"] = {"id": info.id, "plan_name": info.plan_name, "status": info.status}
    doc["unrented"] = [
        {
            "number": task.number,
            "rule": task.rule,
            "unrented_between": [info.created_at, info.updated_at],
            "console_reclaim_until": _deadline(info).isoformat(),
            "before": before_state(task.before),
        }
        for task in revert.unrented
    ]
    doc["unrestorable"] = [
        {"number": item.number, "field": item.field, "reason": item.reason}
        for item in revert.unrestorable
    ]
    doc["notes"] = notes(revert, info, counts, now)
    return doc


def render_revert(
    revert: Revert,
    info: RunInfo,
    counts: Mapping[str, int],
    now: datetime,
    *,
    max_rows: int | None = None,
) -> RenderableType:
    """The diff that sets the run's changes back, then the unrented and unrestorable ones."""
    parts: list[RenderableType] = [
        Text(f"revert of run {info.id}", style="bold"),
        render_plan(revert.task_list, max_rows=max_rows),
    ]
    if revert.unrented:
        parts.append(_unrented(revert, info, now))
    if revert.unrestorable:
        parts.append(_unrestorable(revert))
    parts.extend(Text(note, style="yellow") for note in notes(revert, info, counts, now))
    return Group(*parts)


def notes(revert: Revert, info: RunInfo, counts: Mapping[str, int], now: datetime) -> list[str]:
    """What a reviewer must know beyond the diff: unfinished runs, nothing to do, the console."""
    found: list[str] = []
    open_tasks = counts.get("pending", 0) + counts.get("inflight", 0)
    if open_tasks:
        found.append(
            f"run {info.id} is {info.status} with {open_tasks:,} tasks not done: this revert "
            "covers only the tasks it completed; run it again once the run has ended"
        )
    if revert.unrented:
        found.append(CONSOLE_NOTE)
    if not revert.task_list.tasks and not revert.unrented:
        found.append(f"run {info.id} changed nothing that a revert can set back")
    return found


def _deadline(info: RunInfo) -> datetime:
    # The run may have unrented a number any time from its start: the earliest deadline is safe.
    return reclaim_until(datetime.fromisoformat(info.created_at))


def _unrented(revert: Revert, info: RunInfo, now: datetime) -> Text:
    deadline = _deadline(info)
    text = Text(f"{len(revert.unrented):,} unrented by this run", style="bold red")
    text.append(
        f", between {info.created_at} and {info.updated_at} ({age(info.created_at, now)} ago):"
    )
    if now < deadline:
        text.append(f"\n  reclaimable from Plivo's console until {deadline.isoformat()}")
    else:
        past = f"more than {RECLAIM_DAYS} days ago: past the console's self-service window"
        text.append(f"\n  {past}")
    for task in revert.unrented:
        state = ", ".join(
            f"{name} {safe(value) if (value := getattr(task.before, name)) else NOTHING}"
            for name in UNRENT_STATE
        )
        text.append(f"\n  {task.number}  rule {safe(task.rule)}: had {state}")
    return text


def _unrestorable(revert: Revert) -> Text:
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in revert.unrestorable:
        grouped[(item.field, item.reason)].append(item.number)
    text = Text("not set back (the Number API cannot):", style="bold yellow")
    for (field, reason), numbers in grouped.items():
        shown = ", ".join(numbers[:NUMBERS_SHOWN])
        more = f" and {len(numbers) - NUMBERS_SHOWN:,} more" if len(numbers) > NUMBERS_SHOWN else ""
        text.append(f"\n  {field} on {len(numbers):,} numbers ({shown}{more}): {reason}")
    return text
