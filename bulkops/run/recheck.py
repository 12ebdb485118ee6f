"""Before a run resumes, every task it has left is checked against the number as it is now.

A run may resume hours after it stopped. A pending task whose number changed since it was
planned is stale: left alone and reported, never overwritten. A task a dead process left in
flight is done if the number already reads as the task wanted; if not, it is sent again only if
the number is still as planned.
"""

from __future__ import annotations

from dataclasses import dataclass

from bulkops.account import Account
from bulkops.numbers import WRITE_ONLY_FIELDS, NumberRecord
from bulkops.run.journal import Entry, Journal, Mark, TaskState
from bulkops.selection.current import current_state
from bulkops.selection.progress import Progress
from bulkops.selection.query import Counted
from bulkops.tasks.drift import drift
from bulkops.tasks.model import covered


@dataclass(frozen=True)
class Recheck:
    """What the look at the account found, to write once the user confirmed."""

    marks: tuple[Mark, ...]  # done (succeeded) or stale
    left: int  # tasks still to send after these marks
    suspects: frozenset[int]  # in flight before, outcome still unknown: sent again, carefully

    @property
    def stale(self) -> int:
        return sum(1 for mark in self.marks if mark.state == "stale")

    @property
    def done(self) -> int:
        return sum(1 for mark in self.marks if mark.state == "succeeded")


async def recheck(
    journal: Journal,
    run_id: str,
    account: Account,
    *,
    failed_too: bool = False,
    progress: Progress | None = None,
) -> Recheck:
    """Read every unfinished task's number now (the cheapest way) and judge each task.

    With `failed_too` (resume --retry-failed), failed tasks are judged as pending ones: they are
    about to be sent again.
    """
    states: tuple[TaskState, ...] = ("pending", "inflight", "failed")
    entries = list(journal.entries(run_id, states if failed_too else states[:2]))
    queries = _queries(journal, run_id)
    tasks = [entry.task for entry in entries]
    live = await current_state(
        account.reads,
        {task.number for task in tasks},
        concurrency=account.inflight,
        queries=queries,
        covered=covered(tasks, queries),
        progress=progress,
        phase="re-checking",
    )
    marks: list[Mark] = []
    suspects: set[int] = set()
    for entry in entries:
        mark = judge(entry, live.get(entry.task.number))
        if mark is not None:
            marks.append(mark)
        elif entry.state == "inflight":
            suspects.add(entry.seq)
    return Recheck(tuple(marks), len(entries) - len(marks), frozenset(suspects))


def _queries(journal: Journal, run_id: str) -> tuple[Counted, ...]:
    """The listings the run's tasks were selected with; none for a run made before they were kept.

    Settings are bulkops' own writing; a damaged entry only costs the cheaper read, so it is
    dropped rather than stopping the resume.
    """
    info = journal.run(run_id)
    raw = info.settings.get("queries") if info is not None else None
    if not isinstance(raw, list):
        return ()
    try:
        return tuple(Counted.from_json(item) for item in raw)
    except ValueError:
        return ()


def judge(entry: Entry, live: NumberRecord | None) -> Mark | None:
    """The mark for `entry` given the number now; None: send it (it is as planned)."""
    task = entry.task
    if entry.state == "inflight" and _already_done(entry, live):
        return Mark(entry.seq, "succeeded")
    drifted = drift(task, live)
    if task.action == "unrent" and drifted == ("gone",):
        return Mark(entry.seq, "gone", error="already unrented (not by this run)")
    if drifted:
        return Mark(entry.seq, "stale", error="changed since planned: " + ", ".join(drifted))
    return None


def _already_done(entry: Entry, live: NumberRecord | None) -> bool:
    task = entry.task
    if task.action == "unrent":
        return live is None
    return live is not None and all(
        live.observed(change.field) == change.after
        for change in task.changes
        if change.field not in WRITE_ONLY_FIELDS
    )
