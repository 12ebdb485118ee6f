"""Where requests go: the account from the environment, or an in-process sandbox emulator.

A `Connection` bundles what every command needs to talk to Plivo at the run's pace: the client,
the shared throttle and the retry policy, plus `fetch` for the selection stage (listing and GETs
with retries).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from bulkops.client import Credentials, PlivoClient
from bulkops.execute import retry
from bulkops.execute.throttle import Throttle
from bulkops.numbers import NumberRecord

SANDBOX_NUMBERS = 500
SANDBOX_SEED = 1
LISTING_PAGE_CONCURRENCY = 4
DEFAULT_MAX_RETRIES = 5

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """Which account to talk to, and how hard."""

    rate: float | None
    concurrency: int
    sandbox: bool = False
    sandbox_numbers: int = SANDBOX_NUMBERS
    sandbox_seed: int = SANDBOX_SEED
    timeout: float = 30.0
    max_retries: int = DEFAULT_MAX_RETRIES  # for 5xx answers, dropped connections, timeouts


@dataclass
class Connection:
    client: PlivoClient
    throttle: Throttle
    policy: retry.RetryPolicy
    auth_id: str
    api_url: str
    sandbox: bool

    @property
    def fetch(self) -> RetryingFetch:
        return RetryingFetch(self)


class RetryingFetch:
    """The selection stage's view of the client: reads, retried under the run's policy."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def iter_numbers(self, query: Mapping[str, str]) -> AsyncIterator[NumberRecord]:
        return self._c.client.iter_numbers(
            query, page_concurrency=LISTING_PAGE_CONCURRENCY, attempt=self._attempt
        )

    async def get_number(self, number: str) -> NumberRecord:
        return await self._attempt(lambda: self._c.client.get_number(number))

    async def _attempt(self, op: Callable[[], Awaitable[T]]) -> T:
        return await retry.call(op, self._c.policy, self._c.throttle)


@contextlib.asynccontextmanager
async def connect(target: Target) -> AsyncIterator[Connection]:
    """Open a client (starting the sandbox emulator first when asked) and close it after."""
    throttle = Throttle(rate=target.rate)
    async with contextlib.AsyncExitStack() as stack:
        if target.sandbox:
            credentials, api_url = await stack.enter_async_context(_sandbox(target))
        else:
            credentials, api_url = Credentials.from_env(), None
        client = PlivoClient(
            credentials,
            base_url=api_url,
            timeout=target.timeout,
            max_connections=max(target.concurrency, LISTING_PAGE_CONCURRENCY * 2),
            pace=throttle.wait,
        )
        await stack.enter_async_context(client)
        yield Connection(
            client=client,
            throttle=throttle,
            policy=retry.RetryPolicy(max_attempts=target.max_retries + 1),
            auth_id=credentials.auth_id,
            api_url=client.base_url,
            sandbox=target.sandbox,
        )


@contextlib.asynccontextmanager
async def _sandbox(target: Target) -> AsyncIterator[tuple[Credentials, str]]:
    # Imported here: only --sandbox needs the emulator, and the real path should not load it.
    from bulkops.emulator import EmulatorConfig, running_emulator

    config = EmulatorConfig(numbers=target.sandbox_numbers, seed=target.sandbox_seed)
    async with running_emulator(config, host="127.0.0.1", port=0) as emulator:
        yield Credentials(emulator.auth_id, emulator.auth_token), emulator.base_url
