"""The last cut of a selection: what unrent rules keep (guards), and what usage proves in use.

Both run after every other condition, so usage is only ever read for numbers that would
otherwise be unrented or changed: guards first (they cost nothing), then one gathering of
usage for every rule with `unused_for`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bulkops.numbers import NumberRecord
from bulkops.pace.inflight import Allowance
from bulkops.plan import Guards, Plan, Rule, Unrent
from bulkops.selection.progress import Progress
from bulkops.selection.usage import (
    Seen,
    Source,
    TrafficReads,
    UsageStats,
    aware_time,
    gather,
    json_time,
    latest,
    sources_of,
)

CLOCK_SKEW: Final = datetime.timedelta(minutes=5)
UNREAD: Final = "its calls and messages could not all be read, so it is kept"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a number counts as unused (or not): its last call and message seen, over a period."""

    checked_since: datetime.datetime
    checked_to: datetime.datetime
    last_call: datetime.datetime | None = None
    last_message: datetime.datetime | None = None
    sources: tuple[str, ...] = ()  # the usage sources read (Source.key): what counts as use

    @property
    def last_use(self) -> datetime.datetime | None:
        return latest((self.last_call, self.last_message))

    @property
    def unused(self) -> bool:
        last = self.last_use
        return last is None or last < self.checked_since

    def to_json(self) -> dict[str, Any]:
        return {
            "last_call": json_time(self.last_call),
            "last_message": json_time(self.last_message),
            "checked_since": json_time(self.checked_since),
            "checked_to": json_time(self.checked_to),
            "sources": list(self.sources),
        }

    @classmethod
    def from_json(cls, raw: object) -> Evidence:
        """Evidence as `to_json` wrote it; ValueError says what is wrong."""
        if not isinstance(raw, dict):
            raise ValueError("evidence must be an object")
        since, to = aware_time(raw.get("checked_since")), aware_time(raw.get("checked_to"))
        if since is None or to is None:
            raise ValueError("evidence needs checked_since and checked_to")
        if to > datetime.datetime.now(datetime.UTC) + CLOCK_SKEW:
            raise ValueError("evidence checked in the future")
        sources = raw.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(k, str) for k in sources):
            raise ValueError("evidence sources must be a list of names")
        for key in sources:
            Source.from_key(key)
        last_call, last_message = (
            aware_time(raw.get("last_call")),
            aware_time(raw.get("last_message")),
        )
        return cls(since, to, last_call, last_message, tuple(sources))


@dataclass(frozen=True, slots=True)
class Kept:
    """A number a rule selected but leaves alone, and why."""

    rule: str
    number: str
    reason: str
    last_use: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class Screened:
    matched: dict[str, list[NumberRecord]]
    evidence: dict[str, dict[str, Evidence]]  # rule → number → evidence, for usage rules
    kept: tuple[Kept, ...]
    seen: dict[Source, dict[str, Seen]]  # what the usage reads found, to remember
    usage: UsageStats


async def screen(
    plan: Plan,
    matched: Mapping[str, Sequence[NumberRecord]],
    reads: TrafficReads,
    today: datetime.date,
    now: datetime.datetime,
    known: Mapping[Source, Mapping[str, Seen]],
    *,
    concurrency: int | Allowance,
    progress: Progress | None = None,
) -> Screened:
    kept: list[Kept] = []
    guarded = {rule.name: _guard(rule, matched[rule.name], today, kept) for rule in plan.rules}
    usage_rules = [rule for rule in plan.rules if rule.select.unused_for is not None]
    if not usage_rules:
        return Screened(guarded, {}, tuple(kept), {}, UsageStats())
    extra = {} if progress is None else {"progress": progress}
    seen = {source: dict(numbers) for source, numbers in known.items()}
    fresh: dict[Source, dict[str, Seen]] = {}
    stats = UsageStats()
    # One gathering per period and set of sources: a record found for a longer period may not
    # settle a shorter one, and a call that shows a number in use settles nothing for a rule
    # that counts only messages.
    for wanted in _wanted(usage_rules, guarded, now):
        found, spent = await gather(wanted, reads, now, seen, concurrency=concurrency, **extra)
        stats = stats + spent
        for source, numbers in found.items():
            seen.setdefault(source, {}).update(numbers)
            fresh.setdefault(source, {}).update(numbers)
    evidence: dict[str, dict[str, Evidence]] = {}
    for rule in usage_rules:
        # Only what this run read or confirmed: never a cached reading it did not ask about.
        unused, proofs = _by_usage(rule, guarded[rule.name], fresh, now, kept)
        guarded[rule.name] = unused
        evidence[rule.name] = proofs
    return Screened(guarded, evidence, tuple(kept), fresh, stats)


def _guard(
    rule: Rule, records: Sequence[NumberRecord], today: datetime.date, kept: list[Kept]
) -> list[NumberRecord]:
    if not isinstance(rule.action, Unrent):
        return list(records)
    passed = []
    for record in records:
        reason = guard_reason(rule.guards, record, today)
        if reason is None:
            passed.append(record)
        else:
            kept.append(Kept(rule.name, record.number, reason))
    return passed


def guard_reason(guards: Guards, record: NumberRecord, today: datetime.date) -> str | None:
    """Why the guards keep `record` from being unrented, or None."""
    if guards.tendlc_campaign and record.tendlc_campaign_id:
        return f"linked to 10DLC campaign {record.tendlc_campaign_id} (keep_tendlc_campaign)"
    days = guards.rented_within_days
    if not days:
        return None
    try:
        added = datetime.date.fromisoformat((record.added_on or "")[:10])
    except ValueError:
        return "Plivo shows no rental date, so its age is unknown (keep_rented_within)"
    age = (today - added).days
    if age < days:
        return f"rented {age} day(s) ago, on {added} (keep_rented_within: {days}d)"
    return None


def _since(rule: Rule, now: datetime.datetime) -> datetime.datetime:
    usage = rule.select.unused_for
    assert usage is not None
    return now - datetime.timedelta(days=usage.days)


def _wanted(
    rules: Sequence[Rule], matched: Mapping[str, Sequence[NumberRecord]], now: datetime.datetime
) -> list[dict[Source, dict[str, datetime.datetime]]]:
    """Per period (shortest first) and set of sources, the numbers and the moment to read from."""
    groups: dict[tuple[datetime.datetime, tuple[str, ...]], dict[Source, dict[str, Any]]] = {}
    for rule in rules:
        since = _since(rule, now)
        assert rule.select.unused_for is not None
        sources = sources_of(rule.select.unused_for)
        wanted = groups.setdefault((since, tuple(s.key for s in sources)), {})
        for source in sources:
            numbers = wanted.setdefault(source, {})
            for record in matched[rule.name]:
                numbers[record.number] = since
    return [groups[key] for key in sorted(groups, key=lambda k: (-k[0].timestamp(), k[1]))]


def _by_usage(
    rule: Rule,
    records: Sequence[NumberRecord],
    seen: Mapping[Source, Mapping[str, Seen]],
    now: datetime.datetime,
    kept: list[Kept],
) -> tuple[list[NumberRecord], dict[str, Evidence]]:
    assert rule.select.unused_for is not None
    since = _since(rule, now)
    sources = sources_of(rule.select.unused_for)
    unused: list[NumberRecord] = []
    proofs: dict[str, Evidence] = {}
    for record in records:
        proof = _evidence(record.number, sources, seen, since, now)
        if proof is None:
            kept.append(Kept(rule.name, record.number, UNREAD))
        elif proof.unused:
            unused.append(record)
            proofs[record.number] = proof
        else:
            kept.append(Kept(rule.name, record.number, _in_use(proof), proof.last_use))
    return unused, proofs


def _evidence(
    number: str,
    sources: Sequence[Source],
    seen: Mapping[Source, Mapping[str, Seen]],
    since: datetime.datetime,
    now: datetime.datetime,
) -> Evidence | None:
    """What this run's readings show of `number` since `since`; None if they do not settle it."""
    readings = {s: seen[s][number] for s in sources if number in seen.get(s, {})}
    used = any(r.used_since(since) for r in readings.values())
    if not used and (
        len(readings) < len(sources) or not all(r.quiet_from(since) for r in readings.values())
    ):
        return None  # never, when the reads went as planned; if it happens, keep the number
    calls = [r for s, r in readings.items() if s.traffic == "calls"]
    messages = [r for s, r in readings.items() if s.traffic == "messages"]
    return Evidence(
        checked_since=since,
        checked_to=now,
        last_call=latest(s.last for s in calls),
        last_message=latest(s.last for s in messages),
        sources=tuple(source.key for source in sources),
    )


def _in_use(proof: Evidence) -> str:
    kind = "call" if proof.last_use == proof.last_call else "message"
    last = proof.last_use
    assert last is not None
    return f"in use: a {kind} on {last:%Y-%m-%d %H:%M} UTC, after {proof.checked_since:%Y-%m-%d}"
