"""A run's life: created from a TaskList, executed under its lock, its status written here only.

`start` freezes a TaskList into a new run; `execute` runs (or resumes) it to its end or a stop and
returns a RunReport; `close_if_done` marks a run with nothing left as finished. These are the
only places that write a run's status. A new run's first pass takes its tasks from `start`
itself: reading back what was just written would only decode it again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio

from bulkops.account import Account
from bulkops.limits import FailureBudget, Limits
from bulkops.pace.clock import now
from bulkops.run.journal import Entry, Journal, RunInfo, RunStatus
from bulkops.run.outcome import RunReport, summarize
from bulkops.run.recheck import Recheck
from bulkops.run.runner import INTERRUPTED, Runner
from bulkops.run.usage_watch import UsageWatch
from bulkops.tasks.model import Task, TaskList, UsageCheck, usage_check

Watcher = Callable[[Runner, anyio.CancelScope], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Settings:
    """What a run needs again when it is resumed, as it was given when the run was made."""

    limits: Limits
    sandbox: bool = False
    sandbox_numbers: int | None = None
    usage: UsageCheck | None = None  # what the unrents resting on usage evidence ask again

    def to_json(self) -> dict[str, Any]:
        return {
            "limits": self.limits.to_json(),
            "sandbox": self.sandbox,
            "sandbox_numbers": self.sandbox_numbers,
            "usage": None if self.usage is None else self.usage.to_json(),
        }

    @classmethod
    def of(cls, info: RunInfo) -> Settings:
        raw = info.settings
        return cls(
            limits=Limits.from_json(raw.get("limits") or {}),
            sandbox=bool(raw.get("sandbox")),
            sandbox_numbers=raw.get("sandbox_numbers"),
            usage=UsageCheck.from_json(raw.get("usage")),
        )


def entries(task_list: TaskList) -> Iterator[Entry]:
    """The run's frozen task list: to send, stale, and already right, in one sequence."""
    seq = 0
    for task in task_list.tasks:
        yield Entry(seq, task)
        seq += 1
    for stale in task_list.stale:
        drifted = "drifted since review: " + ", ".join(stale.drifted)
        yield Entry(seq, stale.task, "stale", error=drifted)
        seq += 1
    for task in task_list.unchanged:
        yield Entry(seq, task, "unchanged")
        seq += 1


class NewRun:
    """A run just created, and its tasks to send, in order, as the journal holds them.

    Iterated once, by the run's first pass: each task is let go as it is taken, so a large run
    reuses their memory as it goes instead of holding the whole list to the end.
    """

    def __init__(self, run_id: str, tasks: Sequence[Task]) -> None:
        self.run_id = run_id
        self._left = list(reversed(tasks))  # popped from the end: the next task is last
        self._taken = False

    def __iter__(self) -> Iterator[Entry]:
        if self._taken:  # a second pass would number what is left from 0 again
            raise RuntimeError(f"run {self.run_id}: its new tasks were handed over already")
        self._taken = True
        return self._entries()

    def _entries(self) -> Iterator[Entry]:
        left, seq = self._left, 0
        while left:
            yield Entry(seq, left.pop())
            seq += 1


def start(journal: Journal, task_list: TaskList, account: Account, settings: Settings) -> NewRun:
    """Freeze `task_list` as a new run (status running); return it, with its tasks to send.

    The listings the tasks were selected with go into the run's settings: resume's re-check
    lists them again when that is cheaper than a GET per task left.
    """
    settings = dataclasses.replace(settings, usage=usage_check(task_list.tasks))
    queries = [counted.to_json() for counted in task_list.queries]
    run_id = journal.create_run(
        plan_name=task_list.plan_name,
        source=task_list.source,
        fingerprint=recorded_fingerprint(task_list),
        auth_id=account.auth_id,
        location=account.location,
        settings={**settings.to_json(), "queries": queries},
        entries=entries(task_list),
    )
    return NewRun(run_id, task_list.tasks)  # `entries` numbers the tasks to send first


def recorded_fingerprint(task_list: TaskList) -> str:
    """What the journal keeps of a run's fingerprint: the one a reviewer saw (a saved plan's);
    for a YAML plan's run, nothing ("": its path says which plan it applied, and hashing every
    task only to store the hash was an eighth of bulkops' CPU per task); for a plan with neither,
    the fingerprint of its tasks, which then tells its runs apart (`resumable`)."""
    if task_list.reviewed is None and task_list.source is not None:
        return ""
    return task_list.fingerprint


async def execute(
    journal: Journal,
    run: str | NewRun,
    account: Account,
    *,
    max_failures: FailureBudget | None,
    watchers: Sequence[Watcher] = (),
    retry_failed: bool = False,
    durable: bool = True,
    checked: Recheck | None = None,
) -> RunReport:
    """Run `run_id` to its end (or a stop); `watchers` run alongside.

    `run` is a run id, or the NewRun `start` returned. The caller holds the run's lock
    (`journal.lock(run_id)`) from before it looked at the run.

    A watcher gets the runner (to show progress or ask it to stop) and a cancel scope (to abort
    at once, as a second Ctrl-C does: the run is then recorded interrupted and stays resumable).
    """
    run_id, todo = (run, None) if isinstance(run, str) else (run.run_id, iter(run))
    if todo is not None and (retry_failed or checked is not None):
        # Both rewrite states in the journal, which the new run's own list would not see.
        raise ValueError("retry_failed and checked are for a run read back from the journal")
    if retry_failed:
        journal.retry_failed(run_id)
    if checked is not None:
        journal.record(run_id, checked.marks)  # after retry_failed: stale beats failed
    journal.set_status(run_id, "running")
    usage = _usage_watch(journal, run_id, account)
    runner = Runner(
        journal,
        run_id,
        account,
        max_failures=max_failures,
        durable=durable,
        suspects=frozenset() if checked is None else checked.suspects,
        usage=usage,
        todo=todo,
    )
    started = now()
    status: RunStatus = "interrupted"  # what an abort, cancelling the runner midway, leaves
    try:
        async with anyio.create_task_group() as group:
            for watch in watchers:
                group.start_soon(watch, runner, group.cancel_scope)
            try:
                stop_reason = await runner.execute()
                status = _status(stop_reason)
            finally:
                group.cancel_scope.cancel()
    finally:
        journal.set_status(run_id, status)
    progress = runner.progress
    return RunReport(
        run_id=run_id,
        status=status,
        counts=summarize(journal.counts(run_id)),
        requests=progress.requests + (0 if usage is None else usage.requests),
        retries=progress.retries,
        throttled=progress.throttled,
        elapsed=now() - started,
        stop_reason=runner.stop_reason,
    )


def _usage_watch(journal: Journal, run_id: str, account: Account) -> UsageWatch | None:
    """The watch over use since the plan, for the unrents left that rest on usage evidence."""
    info = journal.run(run_id)
    check = None if info is None else Settings.of(info).usage
    if check is None:
        return None
    unrents = (
        (entry.task.number, entry.task.rule)
        for entry in journal.iter_entries(run_id, ("pending", "inflight"))
        if entry.task.action == "unrent"
    )
    return UsageWatch(check, account.reads, unrents, concurrency=account.inflight)


def _status(stop_reason: str | None) -> RunStatus:
    if stop_reason is None:
        return "finished"
    # Tasks never started stay pending: `resume` can run them once the cause is fixed.
    return "interrupted" if stop_reason == INTERRUPTED else "stopped"


def resumable(journal: Journal) -> tuple[RunInfo | None, list[tuple[RunInfo, RunInfo]]]:
    """The newest run with tasks left, and the unfinished runs passed over as superseded.

    A run is superseded when a later run of the same plan on the same account exists: resuming
    it would put back what the later run decided (it can still be resumed by its id).
    """
    newest: dict[tuple[str, str, str], RunInfo] = {}
    superseded: list[tuple[RunInfo, RunInfo]] = []
    for info in journal.runs():  # newest first
        plan = info.source or info.plan_name or info.fingerprint
        later = newest.setdefault((info.auth_id, info.location, plan), info)
        counts = journal.counts(info.id)
        if info.status == "finished" or not (counts["pending"] or counts["inflight"]):
            continue
        if later is not info:
            superseded.append((info, later))
            continue
        return info, superseded
    return None, superseded


def close_if_done(journal: Journal, info: RunInfo) -> RunReport:
    """A run with nothing left to send is finished, whatever stopped it before."""
    if info.status != "finished":
        with journal.lock(info.id):
            journal.set_status(info.id, "finished")
    return RunReport(info.id, "finished", summarize(journal.counts(info.id)), 0, 0, 0, 0.0)
