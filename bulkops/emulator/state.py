"""The emulated account: numbers, applications, subaccounts, call and message history, and a
record of the requests it served.

Usable without a server (tests can call the methods directly); the HTTP layer in `app` is thin.
"""

from __future__ import annotations

import bisect
import datetime
import hmac
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from bulkops.emulator import catalog
from bulkops.emulator.clock import Clock
from bulkops.emulator.config import (
    OUTAGE_MODES,
    EmulatorConfig,
    OutageMode,
    generate_auth_id,
    generate_auth_token,
)
from bulkops.emulator.errors import ApiError, not_found
from bulkops.emulator.filters import NumberFilter, parse_filters
from bulkops.emulator.guards import FaultDice, Outage, SlidingWindow
from bulkops.emulator.history import TrafficHistory
from bulkops.emulator.inventory import RECENT_DAYS, generate_inventory
from bulkops.emulator.listing import envelope, new_api_id, parse_page, single_params
from bulkops.emulator.records import Mutation, Served
from bulkops.emulator.traffic import (
    DIRECTIONS,
    MESSAGE_STATES,
    MESSAGE_TYPES,
    CallRecord,
    Direction,
    MessageRecord,
    Service,
    TrafficRecord,
    digits,
    last_traffic,
    record_object,
)
from bulkops.emulator.traffic_query import (
    HISTORY,
    TrafficQuery,
    parse_call_query,
    parse_message_query,
)
from bulkops.emulator.traffic_seed import NumberFacts, TrafficKind
from bulkops.emulator.updates import plan_update

_CACHE_SIZE: Final = 256
# The far end of calls and messages added without one: outside every seeded area code.
DEFAULT_COUNTERPART: Final = "16505550100"


class Emulator:
    """State and recorder of one emulated main account."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config = config or EmulatorConfig()
        self.auth_id: str = config.auth_id or generate_auth_id()
        self._auth_token: str = config.auth_token or generate_auth_token()
        self.clock = Clock(config.today)
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
        limit = config.message_rate_limit
        self.message_limiter = SlidingWindow(limit) if limit else None
        self.dice = FaultDice(config.faults, config.seed)
        # The inventory is built in number order and deletions keep it so; listings rely on it.
        self._ordered = list(self.numbers)
        self._listings: dict[tuple[tuple[str, str], ...], list[str]] = {}
        self.traffic = TrafficHistory(
            list(self._ordered),
            _facts(self.numbers, self.today),
            config.seed,
            self.clock.timestamp(),
            seeded=config.traffic,
        )
        self._render: Callable[[TrafficRecord], dict[str, Any]] = lambda record: record_object(
            record, self.auth_id
        )
        faults = config.faults
        self.short_page_offset: int | None = faults.short_page_offset
        self.short_pages_left: int | None = faults.short_page_times  # None: every time
        self.outage: Outage | None = None
        if faults.outage_at is not None:
            begins = time.monotonic() + faults.outage_at
            ends = None if faults.outage_seconds is None else begins + faults.outage_seconds
            self.outage = Outage(begins, ends, faults.outage_mode)

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
        if offset == self.short_page_offset and self.short_pages_left != 0:
            # The short-page fault: half the records, the envelope as if nothing were missing.
            page = page[: len(page) // 2]
            if self.short_pages_left is not None:
                self.short_pages_left -= 1
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

    # --- Call and Message lists ----------------------------------------------------------

    def list_calls(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        return self._list_traffic(query, parse_call_query, "Call")

    def list_messages(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        return self._list_traffic(query, parse_message_query, "Message")

    def _list_traffic(
        self,
        query: Sequence[tuple[str, str]],
        parse: Callable[[Mapping[str, str], float], TrafficQuery],
        kind: str,
    ) -> dict[str, Any]:
        params = single_params(query)
        limit, offset = parse_page(params)
        selection = parse(params, self.clock.timestamp())
        candidates = self.traffic.candidates(selection.service, selection.number)
        matches = selection.run(candidates, self._render)
        page = [self._render(record) for record in matches[offset : offset + limit]]
        return envelope(self._path(kind), matches, limit, offset, page)

    def get_call(self, call_uuid: str) -> dict[str, Any]:
        return self._get_record(call_uuid, CallRecord)

    def get_message(self, message_uuid: str) -> dict[str, Any]:
        return self._get_record(message_uuid, MessageRecord)

    def _get_record(self, record_uuid: str, kind: type) -> dict[str, Any]:
        record = self.traffic.find(record_uuid)
        if record is None or not isinstance(record, kind) or not self.is_visible(record):
            raise not_found()
        return {**self._render(record), "api_id": new_api_id()}

    # --- Traffic history, for tests -------------------------------------------------------

    def now(self) -> datetime.datetime:
        """The emulator's "now" (UTC), which every window is measured from; see `clock`."""
        return self.clock.now()

    def calls(self) -> list[CallRecord]:
        """Every call the account ever had, newest first, including those past 90 days."""
        return list(self.traffic.calls())

    def messages(self) -> list[MessageRecord]:
        """Every message the account ever had, newest first, including those past 90 days."""
        return list(self.traffic.messages())

    def traffic_kind(self, number: str) -> TrafficKind | None:
        """The seeded kind of a starting number (None: not in the inventory at start)."""
        return self.traffic.kind(number)

    def numbers_of_kind(self, kind: TrafficKind) -> list[str]:
        """Starting numbers of a seeded kind, in number order (unrented ones included)."""
        return self.traffic.numbers_of_kind(kind)

    def is_visible(self, record: TrafficRecord) -> bool:
        """Can the list APIs still show this record (is it from the last 90 days)?"""
        return record.at >= self.clock.timestamp() - HISTORY

    def last_traffic(
        self,
        number: str,
        *,
        direction: Direction | None = None,
        service: Service | None = None,
        visible_only: bool = False,
    ) -> TrafficRecord | None:
        """The newest call or message of `number`; see `traffic.last_traffic`."""
        since = self.clock.timestamp() - HISTORY if visible_only else None
        records: list[TrafficRecord] = []
        if service in (None, "call"):
            records += self.traffic.candidates("call", digits(number))
        if service in (None, "message"):
            records += self.traffic.candidates("message", digits(number))
        return last_traffic(records, number, direction=direction, service=service, since=since)

    def add_call(
        self,
        number: str,
        *,
        direction: Direction = "inbound",
        counterpart: str = DEFAULT_COUNTERPART,
        at: datetime.datetime | None = None,
        duration: int = 60,
        subaccount: str | None = None,
    ) -> CallRecord:
        """Record a call of `number` (inbound to it, or outbound with it as caller ID).

        `at` is its end_time (default: now); `subaccount` defaults to the number's own.
        """
        ours, theirs, when, sub = self._traffic_args(number, direction, counterpart, at, subaccount)
        if duration < 0:
            raise ValueError(f"duration must be 0 or more seconds, got {duration!r}")
        caller, callee = (theirs, ours) if direction == "inbound" else (ours, theirs)
        record = CallRecord(
            str(uuid.uuid4()), when, direction, "+" + caller, callee, sub, duration, 3, "Caller"
        )
        self.traffic.add(record)
        return record

    def add_message(
        self,
        number: str,
        *,
        direction: Direction = "inbound",
        counterpart: str = DEFAULT_COUNTERPART,
        at: datetime.datetime | None = None,
        message_type: str = "sms",
        state: str | None = None,
        units: int = 1,
        subaccount: str | None = None,
    ) -> MessageRecord:
        """Record a message of `number`, inbound to it or outbound from it.

        `at` is its message_time (default: now); `state` defaults to received (inbound) or
        delivered (outbound); `subaccount` defaults to the number's own.
        """
        ours, theirs, when, sub = self._traffic_args(number, direction, counterpart, at, subaccount)
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"message_type must be one of {', '.join(MESSAGE_TYPES)}")
        state = state or ("received" if direction == "inbound" else "delivered")
        if state not in MESSAGE_STATES:
            raise ValueError(f"state must be one of {', '.join(MESSAGE_STATES)}")
        if units < 1:
            raise ValueError(f"units must be 1 or more, got {units!r}")
        sender, receiver = (theirs, ours) if direction == "inbound" else (ours, theirs)
        record = MessageRecord(
            str(uuid.uuid4()), when, direction, sender, receiver, sub, message_type, state, units
        )
        self.traffic.add(record)
        return record

    def _traffic_args(
        self,
        number: str,
        direction: str,
        counterpart: str,
        at: datetime.datetime | None,
        subaccount: str | None,
    ) -> tuple[str, str, int, str | None]:
        ours, theirs = digits(number), digits(counterpart)
        for name, value in (("number", ours), ("counterpart", theirs)):
            if not value.isdigit():
                raise ValueError(f"{name} must be a phone number (digits, optional +)")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be inbound or outbound, got {direction!r}")
        if at is not None and at.utcoffset() is None:
            raise ValueError("at must be an aware datetime (e.g. tzinfo=datetime.UTC)")
        when = int(at.timestamp() if at is not None else self.clock.timestamp())
        if subaccount is None and ours in self.numbers:
            subaccount = self.numbers[ours]["sub_account"]
        return ours, theirs, when, subaccount

    # --- Faults ---------------------------------------------------------------------------

    def set_short_page(self, offset: int | None, times: int | None = 1) -> None:
        """Serve the Number list page at `offset` half full `times` times (None: always);
        offset None turns the fault off."""
        if offset is not None and offset < 0:
            raise ValueError(f"offset must be 0 or more, got {offset!r}")
        if times is not None and times < 1:
            raise ValueError(f"times must be 1 or more (None: always), got {times!r}")
        self.short_page_offset, self.short_pages_left = offset, times

    def start_outage(self, seconds: float | None = None, mode: OutageMode = "drop") -> None:
        """Stop answering now, for `seconds` (None: until `end_outage`): every non-admin request
        is dropped (connection aborted, no response) or answered 503."""
        if seconds is not None and not 0 < seconds < float("inf"):
            raise ValueError(f"seconds must be positive (or None), got {seconds!r}")
        if mode not in OUTAGE_MODES:
            raise ValueError(f"mode must be drop or 503, got {mode!r}")
        begins = time.monotonic()
        self.outage = Outage(begins, None if seconds is None else begins + seconds, mode)

    def end_outage(self) -> None:
        self.outage = None

    def outage_at(self, now: float) -> Outage | None:
        """The outage in force at `now` (time.monotonic()), if any."""
        outage = self.outage
        return outage if outage is not None and outage.covers(now) else None

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


def _facts(numbers: Mapping[str, Mapping[str, Any]], today: datetime.date) -> list[NumberFacts]:
    """What each number's seeded history depends on, fixed at start-up, in number order."""
    recent = (today - datetime.timedelta(days=RECENT_DAYS - 1)).isoformat()
    return [
        NumberFacts(
            obj["added_on"] >= recent, obj["sub_account"], obj["sms_enabled"], obj["mms_enabled"]
        )
        for obj in numbers.values()
    ]
