"""The dry-run diff of a TaskList: a JSON document for machines, rich renderables for a terminal.

The terminal view leads with totals, so a 300k-task plan is understood from its first screen, then
lists tasks up to `max_rows`; `--json` carries everything.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from decimal import Decimal
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bulkops.numbers import WRITE_ONLY_FIELDS, NumberRecord
from bulkops.report.text import safe
from bulkops.selection.screen import Evidence, Kept
from bulkops.selection.usage import json_time
from bulkops.tasks.model import Change, Task, TaskList, monthly_savings, task_json

NOTHING: Final = "∅"
WRITE_ONLY: Final = "(write-only)"
ARROW: Final = " → "
# What a reviewer needs to recognise a number that is about to be given back.
UNRENT_STATE: Final = ("app_id", "subaccount", "alias", "renewal_date")


def plan_to_json(task_list: TaskList) -> dict[str, Any]:
    """Every task (in the shared task shape), the totals, and the named numbers not rented."""
    summary = task_list.summary
    return {
        "tasks": [task_json(task) for task in task_list.tasks],
        "summary": {
            "updates": summary.updates,
            "unrents": summary.unrents,
            "unchanged": summary.unchanged,
            "missing": summary.missing,
            "per_rule": {
                name: {"updates": c.updates, "unrents": c.unrents, "unchanged": c.unchanged}
                for name, c in summary.per_rule.items()
            },
            "fingerprint": task_list.fingerprint,
            "malformed": task_list.malformed,
            "kept": len(task_list.kept),
            "monthly_savings_usd": _usd(monthly_savings(task_list.tasks)),
            "usage_reads": dataclasses.asdict(task_list.usage_reads),
        },
        "missing": [{"rule": rule, "number": number} for rule, number in task_list.missing],
        "kept": [_kept_json(kept) for kept in task_list.kept],
    }


def _kept_json(kept: Kept) -> dict[str, Any]:
    last = json_time(kept.last_use)
    return {"rule": kept.rule, "number": kept.number, "reason": kept.reason, "last_use": last}


def _usd(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01")))


def render_plan(
    result: TaskList, *, max_rows: int | None = None, more: str = "use --json for all"
) -> RenderableType:
    """Totals, per-rule counts, then one block per task (the first `max_rows` of them).

    `more` tells how to see the tasks past `max_rows` (the flag differs by command).
    """
    parts: list[RenderableType] = [_summary(result), _per_rule(result)]
    shown = result.tasks if max_rows is None else result.tasks[:max_rows]
    if shown:
        parts.append(_task_table(shown))
    hidden = result.tasks[len(shown) :]
    if hidden:
        parts.append(Text(f"… {len(hidden):,} more ({more})", style="bold"))
        unrents = sum(1 for task in hidden if task.action == "unrent")
        if unrents:
            # Irreversible work must never hide behind the cut-off unannounced.
            parts.append(Text(f"  including {unrents:,} UNRENT not shown", style="bold red"))
    if result.kept:
        kept = result.kept if max_rows is None else result.kept[:max_rows]
        parts.append(_kept_table(kept))
        if len(kept) < len(result.kept):
            parts.append(Text(f"… {len(result.kept) - len(kept):,} more kept (--json for all)"))
    return Group(*parts)


def _kept_table(kept: tuple[Kept, ...]) -> Table:
    table = Table(
        title="kept (selected, but not unrented)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("number", no_wrap=True)
    table.add_column("rule")
    table.add_column("why")
    for entry in kept:
        table.add_row(Text(entry.number), Text(entry.rule, style="cyan"), Text(entry.reason))
    return table


def _summary(result: TaskList) -> Text:
    s = result.summary
    text = Text()
    text.append(f"{s.updates:,} to update", style="bold green" if s.updates else "")
    text.append(", ")
    text.append(f"{s.unrents:,} to unrent", style="bold red" if s.unrents else "")
    text.append(f", {s.unchanged:,} already as planned")
    if s.missing:
        text.append(f", {s.missing:,} named but not rented", style="yellow")
    if result.kept:
        text.append(f", {len(result.kept):,} kept by guards or in use")
    savings = monthly_savings(result.tasks)
    if savings:
        text.append(f"\nthe unrents save ${_usd(savings):,.2f} a month in rental", style="bold")
    if result.malformed:
        skipped = f"\n{result.malformed:,} listed records skipped: their number is malformed"
        text.append(skipped, style="bold yellow")
    by_field = Counter(change.field for task in result.tasks for change in task.changes)
    if by_field:
        fields = ", ".join(f"{field} {count:,}" for field, count in by_field.most_common())
        text.append(f"\nfields changing: {fields}")
    text.append(f"\nfingerprint {result.fingerprint[:16]}", style="dim")
    return text


def _per_rule(result: TaskList) -> Table:
    table = Table(title="per rule", title_justify="left", box=None, pad_edge=False)
    table.add_column("rule")
    for heading in ("update", "unrent", "unchanged"):
        table.add_column(heading, justify="right")
    for name, counts in result.summary.per_rule.items():
        unrents = Text(f"{counts.unrents:,}", style="red" if counts.unrents else "")
        table.add_row(Text(name), f"{counts.updates:,}", unrents, f"{counts.unchanged:,}")
    return table


def _task_table(tasks: tuple[Task, ...]) -> Table:
    # Light rules leave the width to the values: ids must not wrap on an 80-column terminal.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("number", no_wrap=True)
    table.add_column("rule")
    table.add_column("field", no_wrap=True)
    table.add_column("before → after")
    for task in tasks:
        number, rule = Text(task.number), Text(task.rule, style="cyan")
        if task.action == "unrent":
            state = _unrent_state(task.before)
            if task.evidence is not None:
                state.append("\n" + why_unused(task.evidence), style="yellow")
            table.add_row(number, rule, Text("UNRENT", style="bold red"), state)
            continue
        for index, change in enumerate(task.changes):
            first = index == 0
            table.add_row(
                number if first else "", rule if first else "", change.field, change_text(change)
            )
    return table


def change_text(change: Change) -> Text:
    """One field's change as `plan` and `show` write it: before → after, ∅ for nothing."""
    before = WRITE_ONLY if change.field in WRITE_ONLY_FIELDS else _value(change.before)
    text = Text(before, style="dim" if change.before is None else "")
    text.append(ARROW)
    text.append(_value(change.after), style="green")
    return text


_USE_WORDS: Final = {
    "calls": "call",
    "messages": "message",
    "messages:sms": "SMS",
    "messages:mms": "MMS",
}


def why_unused(evidence: Evidence) -> str:
    """ "no call or message since 2026-10-03", and the last use seen before, if any."""
    kinds = " or ".join(_USE_WORDS.get(key, key) for key in evidence.sources) or "use"
    text = f"no {kinds} since {evidence.checked_since:%Y-%m-%d}"
    last = evidence.last_use
    if last is not None:
        text += f" (last seen {last:%Y-%m-%d})"
    return text


def _unrent_state(record: NumberRecord) -> Text:
    return Text(", ".join(f"{name} {_value(getattr(record, name))}" for name in UNRENT_STATE))


def _value(value: str | None) -> str:
    # Plivo shows a cleared alias as null or "": both read "nothing".
    return safe(value) if value else NOTHING
