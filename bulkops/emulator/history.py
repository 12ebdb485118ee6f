"""The account's traffic history: seeded records, built lazily, plus records added at run time.

Nothing is generated when the emulator starts. A query for one of the account's numbers builds
the history of its block of 50 numbers only; anything wider (an account-wide listing, a prefix,
a record looked up by uuid, the full history) builds every number's once and keeps it sorted,
newest first.

The history belongs to the account, not to the numbers: unrenting a number or moving it to a
subaccount later changes none of its past records.
"""

from __future__ import annotations

import bisect
import gc
import operator
from collections.abc import Iterable, Sequence
from typing import Final, TypeVar

from bulkops.emulator.traffic import CallRecord, MessageRecord, Service, TrafficRecord
from bulkops.emulator.traffic_seed import (
    BLOCK,
    BlockBuilder,
    NumberFacts,
    TrafficKind,
    build_history,
    deal,
    effective_kind,
)

R = TypeVar("R", CallRecord, MessageRecord)
_NO_HISTORY: Final[tuple[list[CallRecord], list[MessageRecord]]] = ([], [])
_AT: Final = operator.attrgetter("at")


def newest_first_time(record: TrafficRecord) -> int:
    """Ascending key of a newest-first list, for bisect."""
    return -record.at


def newest_first(records: Iterable[R]) -> list[R]:
    """Newest first. The sort is stable, so records of the same second keep the order they were
    drawn or added in: every listing has one order, whichever path built it."""
    return sorted(records, key=_AT, reverse=True)


class TrafficHistory:
    """Calls and messages of one account; `numbers` and `facts` are the inventory at start."""

    def __init__(
        self,
        numbers: Sequence[str],
        facts: Sequence[NumberFacts],
        seed: int,
        start: float,
        seeded: bool = True,
    ) -> None:
        self._numbers = numbers  # sorted
        self._facts = facts
        self._seed = seed
        self.start = start  # POSIX seconds the seeded history is laid out back from
        self._seeded = seeded
        self._blocks: dict[int, list[TrafficKind]] = {}
        self._per_number: dict[str, tuple[list[CallRecord], list[MessageRecord]]] = {}
        self._added_calls: list[CallRecord] = []
        self._added_messages: list[MessageRecord] = []
        self._all_calls: list[CallRecord] | None = None
        self._all_messages: list[MessageRecord] | None = None
        self._by_uuid: dict[str, TrafficRecord] | None = None

    # --- Kinds ----------------------------------------------------------------------------

    def _position(self, number: str) -> int | None:
        index = bisect.bisect_left(self._numbers, number)
        if index < len(self._numbers) and self._numbers[index] == number:
            return index
        return None

    def _kind_at(self, index: int) -> TrafficKind:
        if not self._seeded:
            return TrafficKind.IDLE
        block, slot = divmod(index, BLOCK)
        cards = self._blocks.get(block)
        if cards is None:
            cards = self._blocks[block] = deal(self._seed, block)
        return effective_kind(cards[slot], self._facts[index])

    def kind(self, number: str) -> TrafficKind | None:
        """The seeded kind of one of the account's numbers (None: not in the starting inventory)."""
        index = self._position(number)
        return None if index is None else self._kind_at(index)

    def numbers_of_kind(self, kind: TrafficKind) -> list[str]:
        """Every starting number of that kind, in number order."""
        return [n for i, n in enumerate(self._numbers) if self._kind_at(i) is kind]

    # --- Records --------------------------------------------------------------------------

    def seeded(self, number: str) -> tuple[list[CallRecord], list[MessageRecord]]:
        """The seeded (calls, messages) of one starting number, as drawn; built once."""
        cached = self._per_number.get(number)
        if cached is not None:
            return cached
        index = self._position(number)
        if index is None:
            return _NO_HISTORY
        self._build_block(index // BLOCK)
        return self._per_number[number]

    def _build_block(self, block: int) -> None:
        builder = BlockBuilder(self._seed, block, self.start)
        first = block * BLOCK
        for index in range(first, min(first + BLOCK, len(self._numbers))):
            number = self._numbers[index]
            kind = self._kind_at(index)
            history = build_history(builder, number, kind, self._facts[index])
            self._per_number[number] = history

    def build(self) -> None:
        """Draw every number's history now (the first account-wide query would otherwise)."""
        if self._all_calls is not None and self._all_messages is not None:
            return
        # Hundreds of thousands of new tuples next to a large inventory: without this the
        # collector re-scans the whole heap several times over (about a fifth of the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for number in self._numbers:
                self.seeded(number)
            per_number = [self._per_number[number] for number in self._numbers]
            calls = [call for history in per_number for call in history[0]]
            messages = [message for history in per_number for message in history[1]]
            self._all_calls = newest_first([*calls, *self._added_calls])
            self._all_messages = newest_first([*messages, *self._added_messages])
        finally:
            if collecting:
                gc.enable()

    def calls(self) -> list[CallRecord]:
        """Every call, newest first, however old."""
        if self._all_calls is None:
            self.build()
        assert self._all_calls is not None
        return self._all_calls

    def messages(self) -> list[MessageRecord]:
        """Every message, newest first, however old."""
        if self._all_messages is None:
            self.build()
        assert self._all_messages is not None
        return self._all_messages

    def candidates(self, service: Service, number: str | None) -> Sequence[TrafficRecord]:
        """Records a query may match, newest first: one number's only when `number` is one of
        the account's starting numbers (no other record can start with its digits), else all."""
        if number is not None and self._position(number) is not None:
            calls, messages = self.seeded(number)
            if service == "call":
                return newest_first([*calls, *self._added_calls])
            return newest_first([*messages, *self._added_messages])
        return self.calls() if service == "call" else self.messages()

    def add(self, record: TrafficRecord) -> None:
        """Record traffic that happened during the run (or at any time a test chooses)."""
        if isinstance(record, CallRecord):
            self._added_calls.append(record)
            if self._all_calls is not None:
                bisect.insort(self._all_calls, record, key=newest_first_time)
        else:
            self._added_messages.append(record)
            if self._all_messages is not None:
                bisect.insort(self._all_messages, record, key=newest_first_time)
        if self._by_uuid is not None:
            self._by_uuid[record.uuid] = record

    def find(self, uuid: str) -> TrafficRecord | None:
        if self._by_uuid is None:
            records: list[TrafficRecord] = [*self.calls(), *self.messages()]
            self._by_uuid = {record.uuid: record for record in records}
        return self._by_uuid.get(uuid)
