"""The current state of a known set of numbers, read the cheapest way the counts allow.

Three ways to read n numbers:

* one GET per number: n requests;
* the listings the numbers were selected with (`Counted`: filters and totals a saved plan or a
  run keeps): their pages, plus a GET for each number they do not cover or no longer show (gone,
  or changed so that the filters miss it: the GET tells which);
* the whole account: a `limit=1` probe to learn its size, then a page per 20 numbers.

`cheapest` picks from the counts alone (pure); ties go to the GETs, which need no probe. The
probe is only spent where the account's listing could win. Named numbers in a selection, a
saved plan's drift check and resume's re-check all read through `current_state`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from bulkops.client import MAX_PAGE_SIZE, Listing, NotFoundError
from bulkops.numbers import NumberRecord
from bulkops.pace.inflight import Allowance
from bulkops.pace.pool import run_pool
from bulkops.selection.progress import Listings, PageProgress, Progress, quiet
from bulkops.selection.query import Counted, Query

FEW: Final = 2  # this many numbers or fewer: GETs, without probing the account's size
PROBE: Final = 1  # the `limit=1` request that tells the account's size

Way = Literal["get", "queries", "account"]


class Reads(Protocol):
    """What reading current state needs; `bulkops.account.Reads` provides it."""

    async def listed(
        self,
        query: Mapping[str, str],
        keep: Callable[[NumberRecord], bool],
        on_page: PageProgress | None = None,
    ) -> Listing: ...

    async def get_number(self, number: str) -> NumberRecord: ...

    async def total(self, query: Mapping[str, str]) -> int: ...


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """How to read a set of numbers, and about how many requests that costs."""

    way: Way
    requests: int


def pages(total: int) -> int:
    return max(1, math.ceil(total / MAX_PAGE_SIZE))


def cheapest(
    wanted: int,
    queries: Sequence[Counted] = (),
    uncovered: int = 0,
    account_total: int | None = None,
) -> ReadPlan:
    """The cheapest way to read `wanted` numbers, `uncovered` of them outside `queries`.

    `account_total` is the account's size if a probe learnt it (the probe is counted).
    """
    options = [ReadPlan("get", wanted)]
    if queries:
        options.append(ReadPlan("queries", sum(q.pages for q in queries) + uncovered))
    if account_total is not None:
        options.append(ReadPlan("account", PROBE + pages(account_total)))
    return min(options, key=lambda plan: plan.requests)  # the first of equals: GETs


def worth_probing(wanted: int, queries: Sequence[Counted] = (), uncovered: int = 0) -> bool:
    """Whether the account's listing (probe + at least one page) could beat what is known.

    One stored query never loses to the whole account: it lists a part of it.
    """
    if wanted <= FEW or len(queries) == 1:
        return False
    return cheapest(wanted, queries, uncovered).requests > PROBE + 1


async def current_state(
    reads: Reads,
    numbers: Collection[str],
    *,
    concurrency: int | Allowance,
    queries: Sequence[Counted] = (),
    covered: Collection[str] = (),
    not_found: type[Exception] = NotFoundError,
    progress: Progress | None = None,
    phase: str = "checking",
) -> dict[str, NumberRecord]:
    """number → its live record, for each of `numbers` still rented (an absent one is gone).

    `queries` are listings the numbers were selected with; `covered` the numbers they served.
    `not_found` is what `get_number` raises for a number the account does not rent.
    `progress` hears `phase` with how far the reads are.
    """
    shown = progress or quiet
    wanted = frozenset(numbers)
    uncovered = len(wanted - frozenset(covered)) if queries else 0
    probed = await reads.total({}) if worth_probing(len(wanted), queries, uncovered) else None
    plan = cheapest(len(wanted), queries, uncovered, probed)
    found: dict[str, NumberRecord] = {}
    listings = Listings(shown, phase)
    if plan.way == "account":
        return await _listed(reads, [Query()], wanted, listings)
    if plan.way == "queries":
        found = await _listed(reads, [q.query for q in queries], wanted, listings)
    missing = sorted(wanted - found.keys())
    await _get_each(
        reads, missing, found, concurrency, not_found, lambda n: shown(phase, n, len(missing))
    )
    return found


async def _listed(
    reads: Reads, queries: Iterable[Query], wanted: frozenset[str], listings: Listings
) -> dict[str, NumberRecord]:
    found: dict[str, NumberRecord] = {}
    for query in queries:
        listing = await reads.listed(
            query.as_dict(), lambda record: record.number in wanted, listings.page_progress()
        )
        found.update((record.number, record) for record in listing.records)
    return found


async def _get_each(
    reads: Reads,
    numbers: Sequence[str],
    found: dict[str, NumberRecord],
    concurrency: int | Allowance,
    not_found: type[Exception],
    looked: Callable[[int], None],
) -> None:
    done = [0]

    async def look(number: str) -> None:
        with contextlib.suppress(not_found):  # not rented (any more): the caller sees it absent
            found[number] = await reads.get_number(number)
        done[0] += 1
        looked(done[0])

    await run_pool(iter(numbers), look, concurrency=concurrency, stopping=lambda: False)
