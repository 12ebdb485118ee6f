"""The applications and subaccounts a plan assigns must exist in the account, before any run."""

from __future__ import annotations

import anyio

from bulkops.account import Account
from bulkops.client import NotFoundError, PlivoError
from bulkops.errors import UnknownReferenceError
from bulkops.plan import NONE, Plan, Update


async def check_references(plan: Plan, account: Account) -> None:
    """Raise UnknownReferenceError naming every id an update assigns that the account lacks."""
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
        client = account.client
        get = client.get_application if kind == "application" else client.get_subaccount
        try:
            await account.attempt(lambda: get(ident))
        except NotFoundError:
            problems.append(f"{kind} {ident} does not exist in account {account.auth_id}")
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
        raise UnknownReferenceError(sorted(problems))
