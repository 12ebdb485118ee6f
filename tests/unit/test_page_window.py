"""The listing's read-ahead: what is in flight, not what is unread, fills the allowance."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bulkops.client.pages import NumberPage, walk_pages
from bulkops.numbers import NumberRecord

TOTAL = 200  # ten pages of 20


def page_of(offset: int) -> NumberPage:
    records = [
        NumberRecord(number=f"1415555{offset + i:04d}", number_type="local") for i in range(20)
    ]
    return NumberPage(TOTAL, records, 20, offset)


async def once(op: Callable[[], Awaitable[NumberPage]]) -> NumberPage:
    return await op()


def test_a_slow_page_does_not_hold_back_the_fetches_behind_it() -> None:
    """Page 20 hangs until every other page has been asked for: with 2 in flight, that needs
    the fetches to go on past the unread head."""
    asked: list[int] = []
    others_asked = asyncio.Event()

    async def fetch(limit: int, offset: int) -> NumberPage:
        asked.append(offset)
        if len(asked) == TOTAL // 20:
            others_asked.set()
        if offset == 20:
            await asyncio.wait_for(others_asked.wait(), timeout=5)
        else:
            await asyncio.sleep(0)
        return page_of(offset)

    async def walk() -> list[str]:
        return [r.number async for r in walk_pages(fetch, once, 2)]

    numbers = asyncio.run(walk())
    assert numbers == [f"1415555{n:04d}" for n in range(TOTAL)]
    assert sorted(asked) == list(range(0, TOTAL, 20))


def test_in_flight_fetches_never_exceed_the_allowance() -> None:
    in_flight = [0]
    most = [0]

    async def fetch(limit: int, offset: int) -> NumberPage:
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        await asyncio.sleep(0.001 * (offset % 60))
        in_flight[0] -= 1
        return page_of(offset)

    async def walk() -> int:
        return len([r async for r in walk_pages(fetch, once, 3)])

    assert asyncio.run(walk()) == TOTAL
    assert most[0] == 3
