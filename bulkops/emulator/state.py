"""The emulated account: its numbers, applications and subaccounts, and a record of the traffic.

Usable without a server (tests can call the methods directly); the HTTP layer in `app` is thin.
"""

from __future__ import annotations

import bisect
import datetime
import hmac
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from bulkops.emulator import catalog
from bulkops.emulator.config import EmulatorConfig, generate_auth_id, generate_auth_token
from bulkops.emulator.errors import ApiError, not_found
from bulkops.emulator.filters import NumberFilter, parse_filters
from bulkops.emulator.guards import FaultDice, SlidingWindow
from bulkops.emulator.inventory import generate_inventory
from bulkops.emulator.listing import envelope, new_api_id, parse_page, single_params
from bulkops.emulator.records import Mutation, Served
from bulkops.emulator.updates import plan_update

_CACHE_SIZE: Final = 256


class Emulator:
    """State and recorder of one emulated main account."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config = config or EmulatorConfig()
        self.auth_id: str = config.auth_id or generate_auth_id()
        self._auth_token: str = config.auth_token or generate_auth_token()
        self.today: datetime.date = config.today or datetime.date.today()
        self.numbers: dict[str, dict[str, Any]] = generate_inventory(
            config.numbers, config.seed, self.today, self.auth_id
        )
        self.applications = catalog.applications(self.auth_id)
        self.subaccounts = catalog.subaccounts(self.auth_id)
        # Callback URLs and methods: Plivo accepts them but never shows them on a GET.
        self.write_only: dict[str, dict[str, str]] = {}
        self.served: list[Served] = []
        self.mutations: list[Mutation] = []
        self.limiter = SlidingWindow(config.rate_limit) if config.rate_limit else None
        self.dice = FaultDice(config.faults, config.seed)
        # The inventory is built in number order and deletions keep it so; listings rely on it.
        self._ordered = list(self.numbers)
        self._listings: dict[tuple[tuple[str, str], ...], list[str]] = {}

    def __repr__(self) -> str:
        return f"Emulator(auth_id={self.auth_id!r}, numbers={len(self.numbers)})"

    @property
    def auth_token(self) -> str:
        return self._auth_token

    def authenticates(self, user: str, password: str) -> bool:
        user_ok = hmac.compare_digest(user.encode(), self.auth_id.encode())
        return hmac.compare_digest(password.encode(), self._auth_token.encode()) and user_ok

    # --- Number API -------------------------------------------------------------------------

    def list_numbers(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        params = single_params(query)
        limit, offset = parse_page(params)
        matches = self._matching(parse_filters(params))
        numbers = self.numbers
        page = [numbers[number] for number in matches[offset : offset + limit]]
        return envelope(self._path("Number"), matches, limit, offset, page)

    def get_number(self, number: str) -> dict[str, Any]:
        obj = self.numbers.get(number)
        if obj is None:
            raise not_found()
        return {**obj, "api_id": new_api_id()}

    def update_number(self, number: str, body: Mapping[str, object]) -> dict[str, Any]:
        obj = self.numbers.get(number)
        if obj is None:
            raise not_found()
        change = plan_update(obj, body, self.auth_id)
        obj.update(change.served)
        if change.write_only:
            self.write_only.setdefault(number, {}).update(change.write_only)
        self.mutations.append(Mutation(number, "POST", change.sent, time.monotonic()))
        self._listings.clear()
        return {"message": "changed", "api_id": new_api_id()}

    def delete_number(self, number: str) -> None:
        if self.numbers.pop(number, None) is None:
            raise not_found()
        self.write_only.pop(number, None)
        index = bisect.bisect_left(self._ordered, number)
        del self._ordered[index]
        self.mutations.append(Mutation(number, "DELETE", {}, time.monotonic()))
        self._listings.clear()

    def invalidate_listings(self) -> None:
        """Forget cached list results; call after changing `numbers` by hand."""
        ordered = sorted(self.numbers.items())
        self.numbers.clear()
        self.numbers.update(ordered)
        self._ordered = list(self.numbers)
        self._listings.clear()

    def _matching(self, selection: NumberFilter) -> list[str]:
        # Paging 300k numbers 20 at a time must not rescan them for every page.
        cached = self._listings.get(selection.key)
        if cached is None:
            if len(self._listings) >= _CACHE_SIZE:
                self._listings.clear()
            cached = selection.select(self._ordered, self.numbers)
            self._listings[selection.key] = cached
        return cached

    # --- Applications and subaccounts -----------------------------------------------------

    def list_applications(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        return self._list_catalog("Application", self.applications, query)

    def get_application(self, app_id: str) -> dict[str, Any]:
        return self._get_catalog(self.applications, app_id)

    def list_subaccounts(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        return self._list_catalog("Subaccount", self.subaccounts, query)

    def get_subaccount(self, sa_id: str) -> dict[str, Any]:
        return self._get_catalog(self.subaccounts, sa_id)

    def _list_catalog(
        self, kind: str, items: Mapping[str, dict[str, Any]], query: Sequence[tuple[str, str]]
    ) -> dict[str, Any]:
        params = single_params(query)
        unknown = sorted(set(params) - {"limit", "offset"})
        if unknown:
            raise ApiError(400, f"unknown query parameter(s) {', '.join(unknown)}")
        limit, offset = parse_page(params)
        ordered = [items[key] for key in sorted(items)]
        return envelope(self._path(kind), ordered, limit, offset, ordered[offset : offset + limit])

    @staticmethod
    def _get_catalog(items: Mapping[str, dict[str, Any]], key: str) -> dict[str, Any]:
        obj = items.get(key)
        if obj is None:
            raise not_found()
        return {**obj, "api_id": new_api_id()}

    def _path(self, kind: str) -> str:
        return f"/v1/Account/{self.auth_id}/{kind}/"

    # --- Records --------------------------------------------------------------------------

    def record(self, method: str, path: str, status: int, at: float) -> None:
        self.served.append(Served(method, path, status, at))

    def count(self, status: int | None = None, method: str | None = None) -> int:
        """How many responses had this status and/or method (0 = dropped connection)."""
        return sum(
            1
            for served in self.served
            if (status is None or served.status == status)
            and (method is None or served.method == method)
        )

    def mutations_for(self, number: str) -> list[Mutation]:
        return [mutation for mutation in self.mutations if mutation.number == number]

    def reset_records(self) -> None:
        self.served.clear()
        self.mutations.clear()
