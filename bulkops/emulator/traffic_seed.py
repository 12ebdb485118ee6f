"""The seeded traffic history: which kind of user each number has, and the records that follow.

Every number gets a `TrafficKind`. Kinds are dealt in blocks of 50 numbers (in number order),
each block a seeded shuffle of the same 50 cards, so any inventory of 50 numbers or more holds
every kind. A block's records come from the block's own RNG, seeded with (seed, block), laid
out backwards from the emulator's start instant: the history of one number needs only its
block's 50 built, which keeps a 300k-number emulator's start-up free of traffic work.

Counterparts (the other end of a call or message) are outside the account, in area codes the
inventory never uses, so a record belongs to exactly one of the account's numbers.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from typing import Final, NamedTuple

from bulkops.emulator.traffic import HANGUP_SOURCES, CallRecord, MessageRecord

DAY: Final = 86_400


class TrafficKind(enum.StrEnum):
    """What a number's seeded history looks like (times are days before the start instant)."""

    IDLE = "idle"  # no traffic at all; also every number rented in the last 30 days
    INBOUND_CALLS = "inbound_calls"  # 1-4 inbound calls, 0-30 days ago, nothing else
    OUTBOUND_CALLS = "outbound_calls"  # 1-4 outbound calls with the number as caller ID
    INBOUND_MESSAGES = "inbound_messages"  # 1-3 inbound messages, 0-30 days ago
    OUTBOUND_MESSAGES = "outbound_messages"  # 1-3 outbound messages, 0-30 days ago
    DAYS_60_90 = "days_60_90"  # 1-3 calls or messages, 61-88 days ago only
    DAYS_40_50 = "days_40_50"  # 1-3 calls or messages, 40-50 days ago only
    OVER_90_DAYS = "over_90_days"  # 1-3 calls or messages, 95-180 days ago: never listed
    BUSY = "busy"  # calls both ways over 0-85 days, messages both ways over 0-30 days


_CARDS: Final = (
    (TrafficKind.IDLE, 12),
    (TrafficKind.INBOUND_CALLS, 5),
    (TrafficKind.OUTBOUND_CALLS, 5),
    (TrafficKind.INBOUND_MESSAGES, 4),
    (TrafficKind.OUTBOUND_MESSAGES, 4),
    (TrafficKind.DAYS_60_90, 4),
    (TrafficKind.DAYS_40_50, 4),
    (TrafficKind.OVER_90_DAYS, 4),
    (TrafficKind.BUSY, 8),
)
DECK: Final = tuple(kind for kind, count in _CARDS for _ in range(count))
BLOCK: Final = len(DECK)  # 50
# A number that cannot text trades its message kind for the matching call kind.
_VOICE_ONLY: Final = {
    TrafficKind.INBOUND_MESSAGES: TrafficKind.INBOUND_CALLS,
    TrafficKind.OUTBOUND_MESSAGES: TrafficKind.OUTBOUND_CALLS,
}
# Calling code of our number → (external prefixes, digits after the prefix); no inventory
# number starts with any of these external prefixes.
_US_COUNTERPARTS: Final = (("1650", "1408", "1510", "1718", "1917", "1773"), 7)
_COUNTERPARTS: Final[dict[str, tuple[tuple[str, ...], int]]] = {
    "44": (("4416",), 8),
    "33": (("334",), 8),
    "49": (("4940",), 7),
    "91": (("9122",), 8),
    "61": (("612",), 8),
}


class NumberFacts(NamedTuple):
    """What a number's history depends on, taken from the inventory when the emulator starts."""

    recent: bool  # rented in the last 30 days: no history yet
    subaccount: str | None
    sms: bool
    mms: bool


def deal(seed: int, block: int) -> list[TrafficKind]:
    """The kinds of the numbers at positions block*50 … block*50+49 (in number order)."""
    cards = list(DECK)
    random.Random(f"traffic-kinds:{seed}:{block}").shuffle(cards)
    return cards


def effective_kind(dealt: TrafficKind, facts: NumberFacts) -> TrafficKind:
    if facts.recent:
        return TrafficKind.IDLE
    if not facts.sms:
        if dealt is TrafficKind.BUSY:
            return dealt  # busy with calls only
        return _VOICE_ONLY.get(dealt, dealt)
    return dealt


class BlockBuilder:
    """Draws the records of one block of 50 numbers from the block's own RNG, number by number.

    Record uuids are version-4 shaped: 20 random hex digits per block, then the block and a
    serial, so they are unique without the cost of 128 random bits per record.
    """

    def __init__(self, seed: int, block: int, start: float) -> None:
        self.rng = rng = random.Random(f"traffic:{seed}:{block}")
        self.rand: Callable[[], float] = rng.random
        self.start = start
        h = f"{rng.getrandbits(80):020x}"
        variant = "89ab"[int(h[16], 16) & 3]
        self._prefix = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{block:05x}"
        self._serial = 0
        self.begin("", NumberFacts(False, None, False, False))

    def begin(self, number: str, facts: NumberFacts) -> None:
        """Start drawing the records of the block's next number."""
        self.number = number
        self.facts = facts
        prefixes, tail = _COUNTERPARTS.get(number[:2], _US_COUNTERPARTS)
        self.prefixes: tuple[str, ...] = prefixes
        self.tail: int = tail
        self.calls: list[CallRecord] = []
        self.messages: list[MessageRecord] = []

    def ago(self, low_days: float, high_days: float) -> int:
        return int(self.start - (low_days + self.rand() * (high_days - low_days)) * DAY)

    def uuid(self) -> str:
        self._serial += 1
        return f"{self._prefix}{self._serial:07x}"

    def counterpart(self) -> str:
        prefix = self.prefixes[int(self.rand() * len(self.prefixes))]
        low = 2 * 10 ** (self.tail - 1)
        return prefix + str(low + int(self.rand() * (10**self.tail - low)))

    def call(self, direction: str, at: int) -> None:
        rand = self.rand
        ours, theirs = self.number, self.counterpart()
        # Plivo's CDRs write the caller with "+" more often than not, the callee without.
        caller, callee = (theirs, ours) if direction == "inbound" else (ours, theirs)
        if rand() < 0.7:
            caller = "+" + caller
        duration = 5 + int(rand() ** 2 * 900)
        ring = 2 + int(rand() * 20)
        source = HANGUP_SOURCES[int(rand() * len(HANGUP_SOURCES))]
        subaccount = self.facts.subaccount
        record = CallRecord(
            self.uuid(), at, direction, caller, callee, subaccount, duration, ring, source
        )
        self.calls.append(record)

    def message(self, direction: str, at: int) -> None:
        rand = self.rand
        ours, theirs = self.number, self.counterpart()
        sender, receiver = (theirs, ours) if direction == "inbound" else (ours, theirs)
        kind = "mms" if self.facts.mms and rand() < 0.15 else "sms"
        units = 1 if kind == "mms" or rand() < 0.8 else 2
        delivered = "delivered" if rand() < 0.85 else "sent"
        state = "received" if direction == "inbound" else delivered
        subaccount = self.facts.subaccount
        record = MessageRecord(
            self.uuid(), at, direction, sender, receiver, subaccount, kind, state, units
        )
        self.messages.append(record)

    def direction(self) -> str:
        return "inbound" if self.rand() < 0.6 else "outbound"

    def some(self, low: int, high: int) -> int:
        return low + int(self.rand() * (high - low + 1))

    def mixed(self, low_days: float, high_days: float) -> None:
        """1-3 records, each a call or (if the number can text) a message, either way."""
        for _ in range(self.some(1, 3)):
            at = self.ago(low_days, high_days)
            if self.facts.sms and self.rand() < 0.5:
                self.message(self.direction(), at)
            else:
                self.call(self.direction(), at)

    def busy(self) -> None:
        # One call in the last 6 days and one message in the last 0.8 days, so the default
        # windows (7 days, 24 hours) are never empty for a busy number.
        self.call(self.direction(), self.ago(0, 6))
        for _ in range(self.some(2, 7)):
            self.call(self.direction(), self.ago(0, 85))
        if self.facts.sms:
            self.message(self.direction(), self.ago(0, 0.8))
            for _ in range(self.some(1, 3)):
                self.message(self.direction(), self.ago(0, 30))


def build_history(
    builder: BlockBuilder, number: str, kind: TrafficKind, facts: NumberFacts
) -> tuple[list[CallRecord], list[MessageRecord]]:
    """The seeded calls and messages of the block's next number, `number`."""
    if kind is TrafficKind.IDLE:
        return [], []
    builder.begin(number, facts)
    if kind is TrafficKind.INBOUND_CALLS or kind is TrafficKind.OUTBOUND_CALLS:
        direction = "inbound" if kind is TrafficKind.INBOUND_CALLS else "outbound"
        for _ in range(builder.some(1, 4)):
            builder.call(direction, builder.ago(0.05, 30))
    elif kind is TrafficKind.INBOUND_MESSAGES or kind is TrafficKind.OUTBOUND_MESSAGES:
        direction = "inbound" if kind is TrafficKind.INBOUND_MESSAGES else "outbound"
        for _ in range(builder.some(1, 3)):
            builder.message(direction, builder.ago(0.05, 30))
    elif kind is TrafficKind.DAYS_60_90:
        builder.mixed(61, 88)
    elif kind is TrafficKind.DAYS_40_50:
        builder.mixed(40, 50)
    elif kind is TrafficKind.OVER_90_DAYS:
        builder.mixed(95, 180)
    else:
        builder.busy()
    return builder.calls, builder.messages
