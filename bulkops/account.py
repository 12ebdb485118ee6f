"""The account bulkops acts on: a Plivo client at the run's pace, or an in-process sandbox.

An `Account` bundles what every stage that talks to Plivo needs: the client, the shared throttle
and the retry policy, the in-flight allowance every request follows (tasks and listing pages
alike: the rate x the round trips the client observes, up to `--concurrency`), plus `reads` for
the stages that only read (listing and GETs, retried).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bulkops.client import MAX_PAGE_SIZE, Credentials, Listing, ListingStats, PlivoClient
from bulkops.client.traffic import (
    MESSAGE_LIST_PERIOD,
    MESSAGE_LIST_REQUESTS,
    Traffic,
    TrafficPage,
)
from bulkops.limits import Limits
from bulkops.numbers import NumberRecord
from bulkops.pace import retry
from bulkops.pace.breaker import DEFAULT_GIVE_UP, Breaker
from bulkops.pace.inflight import InFlight
from bulkops.pace.roundtrips import RoundTrips
from bulkops.pace.throttle import Throttle
from bulkops.pace.window import SlidingWindow

SANDBOX_NUMBERS = 500
SANDBOX_SEED = 1
# Fixed, so that a plan saved in the sandbox applies to the sandbox (every start is a new server).
SANDBOX_AUTH_ID = "MASANDBOX00000000001"

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """Which account to talk to, and how hard."""

    limits: Limits = field(default_factory=Limits)
    sandbox: bool = False
    sandbox_numbers: int = SANDBOX_NUMBERS
    sandbox_seed: int = SANDBOX_SEED
    timeout: float = 30.0
    outage_timeout: float = DEFAULT_GIVE_UP
    # (requests, seconds): Plivo's own limit on the Message list; tests shrink it to save time.
    message_window: tuple[int, float] = (MESSAGE_LIST_REQUESTS, MESSAGE_LIST_PERIOD)
    # Where this machine's bulkops processes count their Message list requests together.
    state_dir: Path | None = None

    @property
    def rate(self) -> float:
        rate: float = self.limits.value("rate")
        return rate

    @property
    def concurrency(self) -> int:
        concurrency: int = self.limits.value("concurrency")
        return concurrency


@dataclass
class Account:
    client: PlivoClient
    throttle: Throttle
    policy: retry.RetryPolicy
    auth_id: str
    api_url: str
    sandbox: bool
    inflight: InFlight
    breaker: Breaker
    message_window: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(MESSAGE_LIST_REQUESTS, MESSAGE_LIST_PERIOD)
    )
    reads: Reads = field(init=False)

    def __post_init__(self) -> None:
        self.reads = Reads(self)

    @property
    def location(self) -> str:
        """Where the account lives: its API URL, or "sandbox" (whose port changes every time)."""
        return "sandbox" if self.sandbox else self.api_url

    async def attempt(self, op: Callable[[], Awaitable[T]]) -> T:
        """Run `op` under the run's retry policy and pace."""
        return await retry.call(op, self.policy, self.throttle, breaker=self.breaker)


class Reads:
    """The read-only stages' view of the client: listing and GETs, retried under the policy.

    Keeps what every listing saw (`listings`), so a report can say how many records were skipped
    as malformed.
    """

    def __init__(self, account: Account) -> None:
        self._account = account
        self.listings: list[ListingStats] = []

    async def listed(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        on_page: Callable[[int, int | None], None] | None = None,
    ) -> Listing:
        """One complete listing; `on_page(received, total)` after each page that brought news."""
        stats = ListingStats()
        self.listings.append(stats)
        test = keep if on_page is None else _reporting(keep, stats, on_page)
        kept = await self._account.client.list_matching(
            query,
            test,
            page_concurrency=self._account.inflight.allowed,
            attempt=self._account.attempt,
            stats=stats,
        )
        if on_page is not None:
            on_page(stats.received, stats.total)  # a last page of malformed records says nothing
        return Listing(kept, stats.total or 0)

    async def total(self, query: Mapping[str, str]) -> int:
        """How many numbers match `query`: one `limit=1` request."""
        client = self._account.client
        page = await self._account.attempt(lambda: client.list_numbers_page(query, limit=1))
        return page.total_count

    @property
    def malformed(self) -> int:
        return sum(stats.malformed for stats in self.listings)

    async def get_number(self, number: str) -> NumberRecord:
        return await self._account.attempt(lambda: self._account.client.get_number(number))

    async def traffic_page(
        self,
        traffic: Traffic,
        query: Mapping[str, str],
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> TrafficPage:
        """A page of the Call or Message list; Message requests also keep to that list's limit."""
        account = self._account
        window = account.message_window if traffic == "messages" else None

        async def op() -> TrafficPage:
            if window is not None:
                await window.wait()
            return await account.client.list_traffic_page(traffic, query, limit, offset)

        # A 429 from the Message list is that list's: it pauses its window, not the account.
        paused = window if window is not None else account.throttle
        return await retry.call(op, account.policy, paused, breaker=account.breaker)


@contextlib.asynccontextmanager
async def open_account(target: Target) -> AsyncIterator[Account]:
    """Open a client (starting the sandbox emulator first when asked) and close it after."""
    round_trips = RoundTrips()
    throttle = Throttle(rate=target.rate, round_trips=round_trips)
    inflight = InFlight(target.concurrency, lambda: throttle.paced_rate, round_trips)
    async with contextlib.AsyncExitStack() as stack:
        if target.sandbox:
            credentials, api_url = await stack.enter_async_context(_sandbox(target))
        else:
            credentials, api_url = Credentials.from_env(), None
        client = PlivoClient(
            credentials,
            base_url=api_url,
            timeout=target.timeout,
            max_connections=target.concurrency,
            pace=throttle.wait,
            observe=round_trips.observe,
        )
        await stack.enter_async_context(client)
        max_retries: int = target.limits.value("max_retries")
        yield Account(
            client=client,
            throttle=throttle,
            policy=retry.RetryPolicy(max_attempts=max_retries + 1),
            auth_id=credentials.auth_id,
            api_url=client.base_url,
            sandbox=target.sandbox,
            inflight=inflight,
            breaker=Breaker(target.outage_timeout),
            message_window=SlidingWindow(
                *target.message_window, ledger=_ledger(target, credentials, client.base_url)
            ),
        )


def _reporting(
    keep: Callable[[NumberRecord], bool],
    stats: ListingStats,
    on_page: Callable[[int, int | None], None],
) -> Callable[[NumberRecord], bool]:
    """`keep`, telling `on_page` whenever a record arrives from a page not reported yet.

    The listing counts a page in `stats` before it offers its records, so the first record of
    each page is the moment to report: no hook inside the client is needed.
    """
    reported = [-1]

    def test(record: NumberRecord) -> bool:
        if stats.received != reported[0]:
            reported[0] = stats.received
            on_page(stats.received, stats.total)
        return keep(record)

    return test


def state_file(state_dir: Path, auth_id: str, api_url: str, name: str) -> Path:
    """A file of one account's in the state directory: `usage/AUTH_ID-URLHASH.NAME`.

    The API URL is part of the name: the same credentials on an emulator and on Plivo are two
    accounts, and what one's records showed says nothing of the other's.
    """
    # auth_id comes from the environment: keep it from ever naming a path outside the directory.
    safe = "".join(ch for ch in auth_id if ch.isalnum()) or "account"
    where = hashlib.sha256(api_url.encode()).hexdigest()[:12]
    return state_dir / "usage" / f"{safe}-{where}.{name}"


def _ledger(target: Target, credentials: Credentials, api_url: str) -> Path | None:
    if target.sandbox or target.state_dir is None:
        return None  # a sandbox is a new account every time
    return state_file(target.state_dir, credentials.auth_id, api_url, "message-window")


@contextlib.asynccontextmanager
async def _sandbox(target: Target) -> AsyncIterator[tuple[Credentials, str]]:
    # Imported here: only --sandbox needs the emulator, and the real path should not load it.
    from bulkops.emulator import EmulatorConfig, running_emulator

    config = EmulatorConfig(
        numbers=target.sandbox_numbers, seed=target.sandbox_seed, auth_id=SANDBOX_AUTH_ID
    )
    async with running_emulator(config, host="127.0.0.1", port=0) as emulator:
        yield Credentials(emulator.auth_id, emulator.auth_token), emulator.base_url
