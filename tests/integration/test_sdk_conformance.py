"""Plivo's own Python SDK, pointed at the emulator, works as it does against api.plivo.com.

The SDK is synchronous (requests), so each call runs in a worker thread while the emulator keeps
serving on the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import plivo
import pytest
from plivo import exceptions

from bulkops.emulator import APPLICATION_IDS, SUBACCOUNT_IDS, Faults, RunningEmulator
from tests.conftest import MakeEmulator

T = TypeVar("T")


class LocalPlivoClient(plivo.RestClient):  # type: ignore[misc]
    """A RestClient whose REST calls go to base_url instead of https://api.plivo.com."""

    def __init__(self, auth_id: str, auth_token: str, base_url: str) -> None:
        super().__init__(auth_id, auth_token, timeout=10)
        self._local_base_uri = base_url.rstrip("/") + "/v1/Account"

    def create_request(self, method: str, path: Any = None, data: Any = None, **kw: Any) -> Any:
        # request() resets base_uri before every call, so re-point it here, just in time.
        self.base_uri = self._local_base_uri
        return super().create_request(method, path, data, **kw)


def sdk_for(running: RunningEmulator, token: str | None = None) -> LocalPlivoClient:
    return LocalPlivoClient(running.auth_id, token or running.auth_token, running.base_url)


async def in_thread(call: Callable[[], T]) -> T:
    return await asyncio.to_thread(call)


async def test_sdk_iterates_the_whole_inventory(emulator: RunningEmulator) -> None:
    """`for n in client.numbers` follows meta.next through every page and sees every number once."""
    client = sdk_for(emulator)
    walked = await in_thread(lambda: [n.number for n in client.numbers])
    assert walked == sorted(emulator.emulator.numbers)


async def test_sdk_lists_a_filtered_page_by_offset(emulator: RunningEmulator) -> None:
    """numbers.list with filters, limit and offset returns that page and Plivo's meta."""
    client = sdk_for(emulator)
    page = await in_thread(
        lambda: client.numbers.list(type="local", services=["voice", "sms"], limit=5, offset=5)
    )
    expected = [
        n
        for n, o in sorted(emulator.emulator.numbers.items())
        if o["number_type"] == "local" and o["voice_enabled"] and o["sms_enabled"]
    ]
    assert [n.number for n in page] == expected[5:10]
    assert page.meta.total_count == len(expected)
    assert page.meta.offset == 5


async def test_sdk_gets_and_updates_a_number(emulator: RunningEmulator) -> None:
    """numbers.get returns the number; update(alias, app_id) answers 'changed' and sticks."""
    client = sdk_for(emulator)
    number = sorted(emulator.emulator.numbers)[3]
    fetched = await in_thread(lambda: client.numbers.get(number))
    assert fetched.id == fetched.number == number
    result = await in_thread(
        lambda: client.numbers.update(number, alias="SDK alias", app_id=APPLICATION_IDS[1])
    )
    assert result.message == "changed"
    again = await in_thread(lambda: client.numbers.get(number))
    assert again.alias == "SDK alias"
    assert again.application.endswith(f"/Application/{APPLICATION_IDS[1]}/")
    unlinked = await in_thread(lambda: client.numbers.update(number, app_id=""))
    assert unlinked.message == "changed"
    assert emulator.emulator.numbers[number]["application"] is None


async def test_sdk_unrents_then_gets_not_found(emulator: RunningEmulator) -> None:
    """numbers.delete succeeds, and a later get raises ResourceNotFoundError('not found')."""
    client = sdk_for(emulator)
    number = sorted(emulator.emulator.numbers)[0]
    assert await in_thread(lambda: client.numbers.delete(number)) is None
    with pytest.raises(exceptions.ResourceNotFoundError, match="not found"):
        await in_thread(lambda: client.numbers.get(number))


async def test_sdk_with_a_wrong_token_gets_authentication_error(
    emulator: RunningEmulator,
) -> None:
    """A wrong token surfaces as the SDK's AuthenticationError, with Plivo's message."""
    client = sdk_for(emulator, token="not-the-token")
    number = next(iter(emulator.emulator.numbers))
    # Not numbers.list(): on any error body without "objects" the SDK's list response object
    # crashes with AttributeError before it can raise (SDK 4.63.0), as it would against Plivo.
    with pytest.raises(exceptions.AuthenticationError, match="credentials were not provided"):
        await in_thread(lambda: client.numbers.get(number))


async def test_sdk_reads_applications_and_subaccounts(emulator: RunningEmulator) -> None:
    """The SDK lists and fetches the emulator's applications and subaccounts."""
    client = sdk_for(emulator)
    apps = await in_thread(lambda: client.applications.list())
    assert sorted(a.app_id for a in apps) == sorted(APPLICATION_IDS)
    app = await in_thread(lambda: client.applications.get(APPLICATION_IDS[0]))
    assert app.app_name
    subs = await in_thread(lambda: client.subaccounts.list())
    assert sorted(s.auth_id for s in subs) == sorted(SUBACCOUNT_IDS)


async def test_sdk_sees_a_429_as_a_generic_rest_error(make_emulator: MakeEmulator) -> None:
    """Throttled, the released SDK raises plain PlivoRestError naming status 429."""
    running = await make_emulator(faults=Faults(throttle_rate=1.0))
    client = sdk_for(running)
    with pytest.raises(exceptions.PlivoRestError, match="429"):
        await in_thread(lambda: client.numbers.list(limit=1))
