"""The current state of a known set of numbers, read the cheapest way the counts allow.

One GET per number costs one request each; a listing costs one request per 20 numbers of the
whole account (plus a `limit=1` probe to learn its size). Drift checks of saved plans and the
re-check before a resume read through here.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Collection, Mapping
from typing import Final, Protocol

from bulkops.client import MAX_PAGE_SIZE, NotFoundError
from bulkops.numbers import NumberRecord
from bulkops.pace.pool import run_pool
from bulkops.selection.progress import Listings, PageProgress, Progress, quiet

FEW: Final = 2  # this many numbers or fewer: GETs, without probing the account's size


class Reads(Protocol):
    """What reading current state needs; `bulkops.account.Reads` provides it."""

    async def listed(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        on_page: PageProgress | None = None,
    ) -> list[NumberRecord]: ...

    async def get_number(self, number: str) -> NumberRecord: ...

    async def total(self, query: Mapping[str, str]) -> int: ...


async def current_state(
    reads: Reads,
    numbers: Collection[str],
    *,
    concurrency: int,
    progress: Progress | None = None,
    phase: str = "checking",
) -> dict[str, NumberRecord]:
    """number → its live record, for each of `numbers` still rented (an absent one is gone).

    `progress` hears `phase` with the numbers read so far: the account's, when it is listed.
    """
    wanted = frozenset(numbers)
    shown = progress or quiet
    if len(wanted) > FEW:
        pages = math.ceil(await reads.total({}) / MAX_PAGE_SIZE)
        if pages < len(wanted):
            on_page = Listings(shown, phase).page_progress()
            listed = await reads.listed({}, lambda record: record.number in wanted, on_page)
            return {record.number: record for record in listed}
    found: dict[str, NumberRecord] = {}
    looked = [0]

    async def look(number: str) -> None:
        with contextlib.suppress(NotFoundError):  # unrented since: the caller sees it absent
            found[number] = await reads.get_number(number)
        looked[0] += 1
        shown(phase, looked[0], len(wanted))

    await run_pool(iter(sorted(wanted)), look, concurrency=concurrency, stopping=lambda: False)
    return found
