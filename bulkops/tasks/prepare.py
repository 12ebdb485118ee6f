"""From a plan, or a saved plan, to the TaskList a run will execute, checked against the account.

Everything here only reads from Plivo: the plan's application and subaccount ids must exist, and
a saved plan's numbers must still be in the state that was reviewed, on the account it was
reviewed against.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from bulkops.account import Account
from bulkops.client import NotFoundError
from bulkops.plan import Plan
from bulkops.selection import check_references, select
from bulkops.selection import usage_cache as usage_cache_file
from bulkops.selection.current import current_state
from bulkops.selection.progress import Progress
from bulkops.tasks.drift import drift
from bulkops.tasks.model import RuleCounts, Stale, Summary, Task, TaskList, covered
from bulkops.tasks.planner import build
from bulkops.tasks.saved import AccountRef, SavedPlan, SavedPlanError


def account_ref(account: Account) -> AccountRef:
    return AccountRef(auth_id=account.auth_id, api_url=account.location)


async def from_plan(
    plan: Plan,
    account: Account,
    today: date,
    *,
    usage_cache: Path | None = None,
    progress: Progress | None = None,
) -> TaskList:
    """The plan's tasks on the account as it is now; usage read anew only past `usage_cache`."""
    await check_references(plan, account)
    known = usage_cache_file.load(usage_cache) if usage_cache else {}
    now = datetime.now(UTC)
    selection = await select(
        plan,
        account.reads,
        today,
        not_found=NotFoundError,
        lookup_concurrency=account.inflight,
        now=now,
        known=known,
        progress=progress,
    )
    if usage_cache and selection.seen:
        usage_cache_file.save(usage_cache, usage_cache_file.merged(known, selection.seen), now)
    return dataclasses.replace(
        build(plan, selection),
        malformed=account.reads.malformed,
        reads=account.throttle.granted,
    )


async def from_saved(
    saved: SavedPlan, account: Account, source: str, *, progress: Progress | None = None
) -> TaskList:
    """Keep the saved tasks whose numbers are as reviewed; the rest are stale."""
    here = account_ref(account)
    if saved.account != here:
        raise SavedPlanError(
            f"{source}: reviewed against account {saved.account.auth_id} at "
            f"{saved.account.api_url}, not {here.auth_id} at {here.api_url}: "
            "run `bulkops plan --out` against this account instead"
        )
    numbers = [task.number for task in saved.tasks]
    live = await current_state(
        account.reads,
        numbers,
        concurrency=account.inflight,
        queries=saved.queries,
        covered=covered(saved.tasks, saved.queries),
        progress=progress,
    )
    fresh: list[Task] = []
    stale: list[Stale] = []
    for task in saved.tasks:
        drifted = drift(task, live.get(task.number))
        if drifted:
            stale.append(Stale(task, drifted))
        else:
            fresh.append(task)
    return TaskList(
        tasks=tuple(fresh),
        unchanged=(),
        reviewed=saved.fingerprint,
        summary=_summary(saved.tasks),
        plan_name=saved.plan_name,
        source=saved.source,
        limits=saved.limits,
        stale=tuple(stale),
        queries=saved.queries,
        reads=account.throttle.granted,
    )


def _summary(tasks: Sequence[Task]) -> Summary:
    per_rule: dict[str, list[int]] = {}
    for task in tasks:
        counts = per_rule.setdefault(task.rule, [0, 0, 0])
        counts[1 if task.action == "unrent" else 0] += 1
    unrents = sum(1 for task in tasks if task.action == "unrent")
    return Summary(
        updates=len(tasks) - unrents,
        unrents=unrents,
        unchanged=0,
        per_rule={rule: RuleCounts(*counts) for rule, counts in per_rule.items()},
        missing=0,
    )
