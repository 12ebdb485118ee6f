"""The inverse of a run: for every number it changed, a task that sets the recorded values back.

Built from the run's journal alone, without a read: a revert task's before-state (what its saved
plan's drift check expects to find) is the state the run left the number in, its before-state
with the run's body applied. A number changed again since then reads as drifted, and `apply`
leaves it alone (stale) instead of overwriting the newer change.

What the Number API cannot put back is listed, never attempted: unrented numbers (only Plivo's
console can reclaim them, for a few days), write-only fields (their earlier value was never
readable) and values Plivo takes no request for (a move back to the main account).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from bulkops.limits import Limits
from bulkops.numbers import WRITE_ONLY_FIELDS, NumberRecord
from bulkops.tasks.model import RuleCounts, Summary, Task, TaskList
from bulkops.tasks.planner import diff

# Plivo's support pages: a number released in the last 5 days can be reclaimed from the console,
# self-service. The Number API has no way to do it, and buying it back would be a new rental.
RECLAIM_DAYS: Final = 5
_REPUTATION_ON: Final = frozenset({"PENDING", "ACTIVE"})
# Values an update cannot set a field back to, and why.
_NO_WAY_BACK: Final = {
    "subaccount": "Plivo documents no way to move a number back to the main account",
    "cnam_lookup": "Plivo takes only enabled or disabled, and it had neither",
}
WRITE_ONLY_REASON: Final = "write-only: Plivo never shows its value, so the old one is unknown"


@dataclass(frozen=True, slots=True)
class Unrestorable:
    """A field the run changed that a revert cannot set back."""

    number: str
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Revert:
    """The revert of one run: the tasks to send, and what the Number API cannot put back."""

    run_id: str
    task_list: TaskList
    unrented: tuple[Task, ...]  # the run's successful unrents, with the state they had
    unrestorable: tuple[Unrestorable, ...]


def build_revert(
    run_id: str, succeeded: Iterable[Task], *, plan_name: str | None, limits: Limits
) -> Revert:
    """The revert of run `run_id`, from the tasks it completed successfully."""
    tasks: list[Task] = []
    unrented: list[Task] = []
    unrestorable: list[Unrestorable] = []
    for task in succeeded:
        if task.action == "unrent":
            unrented.append(task)
            continue
        inverse, lost = invert(task)
        unrestorable.extend(lost)
        if inverse is not None:
            tasks.append(inverse)
    ordered = tuple(sorted(tasks, key=lambda task: task.number))
    task_list = TaskList(
        tasks=ordered,
        unchanged=(),
        summary=_summary(ordered),
        plan_name=f"revert of run {run_id}" + (f" ({plan_name})" if plan_name else ""),
        limits=limits,
    )
    by_number = sorted(unrestorable, key=lambda item: (item.number, item.field))
    return Revert(run_id, task_list, tuple(unrented), tuple(by_number))


def invert(task: Task) -> tuple[Task | None, list[Unrestorable]]:
    """The task that undoes update `task` (None if nothing can be), and what it cannot undo."""
    lost: list[Unrestorable] = []
    wanted: list[tuple[str, str]] = []
    for change in task.changes:
        if change.field in WRITE_ONLY_FIELDS:
            lost.append(Unrestorable(task.number, change.field, WRITE_ONLY_REASON))
        elif change.before is None and change.field in _NO_WAY_BACK:
            lost.append(Unrestorable(task.number, change.field, _NO_WAY_BACK[change.field]))
        elif change.before != change.after:
            # "" clears a field on Plivo (an empty app_id unlinks the application).
            wanted.append((change.field, change.before or ""))
    left = after_state(task)
    # The planner's own diff: desired state = the recorded values, observed = what the run left.
    planned = diff(left, tuple(wanted))
    if planned is None:
        return None, lost
    return Task(task.number, task.rule, "update", planned, left), lost


def after_state(task: Task) -> NumberRecord:
    """The number as the run's successful update `task` left it, as a GET would show it."""
    sent = dict(task.body)
    values: dict[str, Any] = {
        field: wire or None
        for field, wire in task.body
        if field not in WRITE_ONLY_FIELDS and field != "caller_reputation"
    }
    values["caller_reputation_status"] = _reputation_after(task.before, sent)
    return dataclasses.replace(task.before, **values)


def _reputation_after(before: NumberRecord, sent: dict[str, str]) -> str | None:
    """Plivo's caller reputation status after an update (PENDING while a profile is reviewed)."""
    status = before.caller_reputation_status
    wanted = sent.get("caller_reputation")
    profile_changed = sent.get("profile_uuid", before.profile_uuid) != before.profile_uuid
    if wanted == "disabled":
        return None
    if wanted == "enabled" and status not in _REPUTATION_ON:
        return "PENDING"
    if status in _REPUTATION_ON and profile_changed:
        return "PENDING"  # re-assigned to the new business profile, which takes a while
    return status


def reclaim_until(unrented_at: datetime) -> datetime:
    """Until when Plivo's console can reclaim a number unrented at `unrented_at`."""
    return unrented_at + timedelta(days=RECLAIM_DAYS)


def _summary(tasks: tuple[Task, ...]) -> Summary:
    per_rule: dict[str, int] = {}
    for task in tasks:
        per_rule[task.rule] = per_rule.get(task.rule, 0) + 1
    return Summary(
        updates=len(tasks),
        unrents=0,
        unchanged=0,
        per_rule={rule: RuleCounts(updates=count) for rule, count in per_rule.items()},
        missing=0,
    )
