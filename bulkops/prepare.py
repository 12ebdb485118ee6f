"""From a plan (or a saved plan) to the frozen list of tasks a run will execute.

Everything here only reads from Plivo. The checks that need the live account happen here, before
anything is sent: the plan's application and subaccount ids must exist, and a saved plan's numbers
must still be in the state that was reviewed.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import anyio

from bulkops import savedplan
from bulkops.client import NotFoundError, PlivoError
from bulkops.connect import Connection
from bulkops.execute import retry
from bulkops.execute.pool import run_pool
from bulkops.journal import TaskRow
from bulkops.numbers import NumberRecord
from bulkops.plan.model import NONE, Limits, Plan, Update
from bulkops.planner import PlanResult, Task, before_state, build
from bulkops.select import Selection, select

SAVED_PLAN_GET_LIMIT = 200  # up to this many tasks, re-check by GET; more, by one listing
LOOKUP_CONCURRENCY = 8


class PreparationError(Exception):
    """The plan cannot run against this account (an unknown application id, say)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Stale:
    task: Task
    drifted: tuple[str, ...]  # fields that changed since review, or ("gone",)


@dataclass(frozen=True)
class Prepared:
    tasks: tuple[Task, ...]
    unchanged: tuple[tuple[str, str], ...]
    fingerprint: str
    plan_name: str | None
    source: str | None
    limits: Limits
    stale: tuple[Stale, ...] = ()
    result: PlanResult | None = None
    selection: Selection | None = None

    @property
    def planned(self) -> int:
        return len(self.tasks) + len(self.unchanged) + len(self.stale)


async def from_plan(plan: Plan, connection: Connection, today: date) -> Prepared:
    await check_references(plan, connection)
    selection = await select(plan, connection.fetch, today, not_found=NotFoundError)
    result = build(plan, selection)
    return Prepared(
        tasks=result.tasks,
        unchanged=result.unchanged,
        fingerprint=result.fingerprint,
        plan_name=plan.name,
        source=str(plan.source) if plan.source else None,
        limits=plan.limits,
        result=result,
        selection=selection,
    )


async def from_saved(saved: savedplan.SavedPlan, connection: Connection) -> Prepared:
    """Keep the saved tasks whose numbers are as reviewed; the rest are stale."""
    live = await _live_records(saved.tasks, connection)
    fresh: list[Task] = []
    stale: list[Stale] = []
    for task in saved.tasks:
        record = live.get(task.number)
        drifted = ("gone",) if record is None else savedplan.drift(task, record)
        if drifted:
            stale.append(Stale(task, drifted))
        else:
            fresh.append(task)
    return Prepared(
        tasks=tuple(fresh),
        unchanged=(),
        fingerprint=saved.fingerprint,
        plan_name=saved.plan_name,
        source=saved.source,
        limits=saved.limits,
        stale=tuple(stale),
    )


async def check_references(plan: Plan, connection: Connection) -> None:
    """Every application and subaccount an update assigns must exist in the account."""
    apps: set[str] = set()
    subaccounts: set[str] = set()
    for rule in plan.rules:
        if isinstance(rule.action, Update):
            fields = rule.action.as_dict()
            if fields.get("app_id") not in (None, "", NONE):
                apps.add(fields["app_id"])
            if "subaccount" in fields:
                subaccounts.add(fields["subaccount"])
    problems: list[str] = []
    failures: list[PlivoError] = []

    async def check(kind: str, ident: str) -> None:
        client = connection.client
        get = client.get_application if kind == "application" else client.get_subaccount
        try:
            await retry.call(lambda: get(ident), connection.policy, connection.throttle)
        except NotFoundError:
            problems.append(f"{kind} {ident} does not exist in account {connection.auth_id}")
        except PlivoError as error:  # raised after the group, as itself, not wrapped in a group
            failures.append(error)

    async with anyio.create_task_group() as group:
        for app in sorted(apps):
            group.start_soon(check, "application", app)
        for sub in sorted(subaccounts):
            group.start_soon(check, "subaccount", sub)
    if failures:
        raise failures[0]
    if problems:
        raise PreparationError(sorted(problems))


def journal_rows(prepared: Prepared) -> Iterator[TaskRow]:
    """The run's frozen task list: to send, already right, and stale, in one sequence."""
    seq = 0
    for task in prepared.tasks:
        yield _row(seq, task, "pending")
        seq += 1
    for stale in prepared.stale:
        drifted = "drifted since review: " + ", ".join(stale.drifted)
        yield dataclasses.replace(_row(seq, stale.task, "stale"), error=drifted)
        seq += 1
    for number, rule in prepared.unchanged:
        yield TaskRow(seq, number, rule, "unchanged", {}, [], {}, state="unchanged")
        seq += 1


def _row(seq: int, task: Task, state: str) -> TaskRow:
    return TaskRow(
        seq=seq,
        number=task.number,
        rule=task.rule,
        action=task.action,
        body=dict(task.body),
        changes=[{"field": c.field, "before": c.before, "after": c.after} for c in task.changes],
        before=before_state(task.before),
        state=state,
    )


async def _live_records(tasks: Sequence[Task], connection: Connection) -> dict[str, NumberRecord]:
    wanted = {task.number for task in tasks}
    found: dict[str, NumberRecord] = {}
    if len(wanted) > SAVED_PLAN_GET_LIMIT:
        async for record in connection.fetch.iter_numbers({}):
            if record.number in wanted:
                found[record.number] = record
        return found

    async def look(number: str) -> None:
        with contextlib.suppress(NotFoundError):  # unrented since the review: stale
            found[number] = await connection.fetch.get_number(number)

    await run_pool(
        iter(sorted(wanted)), look, concurrency=LOOKUP_CONCURRENCY, stopping=lambda: False
    )
    return found
