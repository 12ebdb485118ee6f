"""Usage evidence logic that needs no network: windows, what a reading settles, the cache file,
the Message list's sliding window, the guards."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import anyio
import pytest

from bulkops.numbers import NumberRecord
from bulkops.pace.window import SlidingWindow
from bulkops.plan import Guards, Usage
from bulkops.plan.model import Rule, Selector, Unrent
from bulkops.selection import usage_cache
from bulkops.selection.screen import UNREAD, Evidence, Kept, _by_usage, guard_reason
from bulkops.selection.usage import OVERLAP, Seen, Source, sources_of

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def test_calls_are_read_in_30_day_windows_newest_first() -> None:
    windows = Source("calls").windows(NOW - 75 * DAY, NOW)
    assert windows == [
        (NOW - 30 * DAY, NOW),
        (NOW - 60 * DAY, NOW - 30 * DAY),
        (NOW - 75 * DAY, NOW - 60 * DAY),
    ]


def test_messages_are_read_in_one_window() -> None:
    assert Source("messages").windows(NOW - 90 * DAY, NOW) == [(NOW - 90 * DAY, NOW)]


@pytest.mark.parametrize(
    ("services", "keys"),
    [
        (("voice", "sms", "mms"), ["calls", "messages"]),
        (("voice",), ["calls"]),
        (("sms",), ["messages:sms"]),
        (("sms", "mms"), ["messages"]),
    ],
)
def test_services_choose_what_counts_as_use(services: tuple[str, ...], keys: list[str]) -> None:
    assert [s.key for s in sources_of(Usage(60, services))] == keys


def test_a_message_type_is_asked_of_the_message_list() -> None:
    query = Source("messages", "mms").query(NOW - DAY, NOW)
    assert query == {
        "message_time__gte": "2026-12-01 12:00:00",
        "message_time__lte": "2026-12-02 12:00:00",
        "message_type": "mms",
    }


def test_a_use_seen_settles_any_period_it_falls_in() -> None:
    seen = Seen(NOW, last=NOW - 10 * DAY)
    assert seen.read_from(NOW - 60 * DAY) is None  # in use within 60 days: no read
    # Within 5 days it is not known: that span was never read quiet.
    assert seen.read_from(NOW - 5 * DAY) == NOW - 5 * DAY


def test_a_quiet_reading_is_extended_from_its_end_only() -> None:
    yesterday = Seen(NOW - DAY, quiet_since=NOW - 61 * DAY)
    assert yesterday.read_from(NOW - 60 * DAY) == NOW - DAY - OVERLAP
    # A longer period than was read quiet needs the whole period read.
    assert yesterday.read_from(NOW - 80 * DAY) == NOW - 80 * DAY


def test_a_quiet_read_after_a_quiet_reading_joins_it() -> None:
    yesterday = Seen(NOW - DAY, quiet_since=NOW - 61 * DAY)
    start = NOW - DAY - OVERLAP
    joined = yesterday.then(Seen(NOW, quiet_since=start), start)
    assert joined == Seen(NOW, None, NOW - 61 * DAY)


def test_a_use_found_by_the_new_read_ends_the_quiet_span() -> None:
    yesterday = Seen(NOW - DAY, quiet_since=NOW - 61 * DAY)
    start = NOW - DAY - OVERLAP
    found = Seen(NOW, last=NOW - DAY / 2, quiet_since=NOW - DAY / 2)
    joined = yesterday.then(found, start)
    assert joined.last == NOW - DAY / 2
    assert not joined.quiet_from(NOW - 60 * DAY)
    assert joined.used_since(NOW - 60 * DAY)


def test_a_read_that_does_not_join_the_old_one_keeps_only_its_own_span() -> None:
    old = Seen(NOW - 30 * DAY, quiet_since=NOW - 90 * DAY)
    start = NOW - 20 * DAY  # a gap of ten days that nobody read
    joined = old.then(Seen(NOW, quiet_since=start), start)
    assert joined.quiet_since == start


def test_the_cache_round_trips_and_drops_what_plivo_no_longer_keeps(tmp_path: Path) -> None:
    path = usage_cache.cache_path(tmp_path, "MAXXXXXXXXXXXXXXXXXX", "https://api.plivo.com")
    known = {
        Source("calls"): {
            "14155550100": Seen(NOW, None, NOW - 60 * DAY),
            "14155550101": Seen(NOW - 100 * DAY, NOW - 120 * DAY, None),
        },
        Source("messages", "sms"): {"14155550100": Seen(NOW, NOW - DAY, NOW - DAY)},
    }
    usage_cache.save(path, known, NOW)
    assert path.stat().st_mode & 0o777 == 0o600
    assert usage_cache.load(path) == {
        Source("calls"): {"14155550100": Seen(NOW, None, NOW - 60 * DAY)},
        Source("messages", "sms"): {"14155550100": Seen(NOW, NOW - DAY, NOW - DAY)},
    }


@pytest.mark.parametrize(
    "text",
    ["{not json", '{"version": 99, "sources": {}}', '{"version": 1, "sources": {"fax": {}}}'],
)
def test_an_unreadable_cache_reads_as_empty(tmp_path: Path, text: str) -> None:
    path = tmp_path / "usage.json"
    path.write_text(text)
    assert usage_cache.load(path) == {}


def test_the_cache_file_is_named_by_the_account_and_where_it_lives(tmp_path: Path) -> None:
    real = usage_cache.cache_path(tmp_path, "MA1", "https://api.plivo.com")
    emulated = usage_cache.cache_path(tmp_path, "MA1", "http://127.0.0.1:8080")
    assert real != emulated
    assert usage_cache.cache_path(tmp_path, "../../etc/x", "u").parent == tmp_path / "usage"


def test_an_entry_that_saw_past_its_own_end_makes_the_cache_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "usage.json"
    ahead = (NOW + DAY).isoformat()
    path.write_text(
        json.dumps(
            {"version": 1, "sources": {"calls": {"14155550100": [NOW.isoformat(), ahead, None]}}}
        )
    )
    assert usage_cache.load(path) == {}


def test_evidence_survives_its_json_shape() -> None:
    proof = Evidence(NOW - 60 * DAY, NOW, None, NOW - 70 * DAY, ("calls", "messages"))
    assert Evidence.from_json(proof.to_json()) == proof
    assert proof.unused


def test_the_message_window_never_lets_a_21st_request_into_the_minute() -> None:
    """A token bucket would send again 3 s after a burst; the window waits out the minute."""
    clock = [0.0]
    window = SlidingWindow(20, 60.0, margin=1.0, clock=lambda: clock[0])

    async def burst() -> None:
        for _ in range(20):
            await window.wait()

    anyio.run(burst)
    clock[0] = 3.0
    assert window.delay() == pytest.approx(58.0)
    clock[0] = 61.0
    assert window.delay() == 0


def test_a_429_on_the_message_list_waits_out_a_whole_window() -> None:
    """Someone else spent the minute: a short Retry-After would only meet 429 again."""
    clock = [0.0]
    window = SlidingWindow(20, 60.0, margin=1.0, clock=lambda: clock[0])
    window.pause(0.1)
    assert window.delay() == pytest.approx(61.0)


def test_processes_sharing_a_ledger_share_the_window(tmp_path: Path) -> None:
    """`plan` then `apply` within the minute: the second counts the first's requests."""
    clock = [0.0]
    ledger = tmp_path / "usage" / "MA.message-window"
    first = SlidingWindow(20, 60.0, margin=1.0, ledger=ledger, clock=lambda: clock[0])

    async def sends(window: SlidingWindow, count: int) -> None:
        for _ in range(count):
            await window.wait()

    anyio.run(sends, first, 20)
    second = SlidingWindow(20, 60.0, margin=1.0, ledger=ledger, clock=lambda: clock[0])
    clock[0] = 5.0

    async def held_back() -> bool:
        with anyio.move_on_after(0.2) as scope:
            await second.wait()
        return scope.cancelled_caught

    assert anyio.run(held_back)  # it waits instead of sending a 21st request in the minute
    assert second.delay() == pytest.approx(56.0)
    assert ledger.stat().st_mode & 0o777 == 0o600


def record(**fields: object) -> NumberRecord:
    base: dict[str, object] = {"number": "14155550100", "number_type": "local"}
    return NumberRecord(**{**base, **fields})  # type: ignore[arg-type]


TODAY = datetime.date(2026, 12, 2)


def test_guards_keep_new_numbers_and_10dlc_numbers() -> None:
    guards = Guards()
    assert "keep_rented_within" in (
        guard_reason(guards, record(added_on="2026-11-20"), TODAY) or ""
    )
    assert guard_reason(guards, record(added_on="2026-11-01"), TODAY) is None
    campaign = record(added_on="2025-01-01", tendlc_campaign_id="CXXXXXX")
    assert "CXXXXXX" in (guard_reason(guards, campaign, TODAY) or "")
    # No rental date shown: its age is unknown, so it is kept.
    assert guard_reason(guards, record(), TODAY) is not None


def test_guards_turned_off_keep_nothing() -> None:
    off = Guards(rented_within_days=0, tendlc_campaign=False)
    fresh = record(added_on="2026-12-01", tendlc_campaign_id="CXXXXXX")
    assert guard_reason(off, fresh, TODAY) is None


def test_evidence_read_by_a_clock_ahead_is_refused() -> None:
    """The check before an unrent asks for use since `checked_to`: one ahead asks nothing."""
    ahead = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    proof = Evidence(ahead - 60 * DAY, ahead, sources=("calls",))
    with pytest.raises(ValueError, match="future"):
        Evidence.from_json(proof.to_json())


def test_a_number_whose_records_were_not_all_read_is_kept_not_unrented() -> None:
    """Fail closed: calls read quiet, messages never read, so nothing proves the number unused."""
    rule = Rule("cleanup", Selector(unused_for=Usage(60)), Unrent())
    record = NumberRecord("14155550100", "local")
    calls_only = {Source("calls"): {record.number: Seen(NOW, quiet_since=NOW - 90 * DAY)}}
    kept: list[Kept] = []
    unused, proofs = _by_usage(rule, [record], calls_only, NOW, kept)
    assert (unused, proofs) == ([], {})
    assert kept == [Kept("cleanup", record.number, UNREAD)]


def test_a_number_read_quiet_on_every_source_is_unused_with_its_evidence() -> None:
    rule = Rule("cleanup", Selector(unused_for=Usage(60)), Unrent())
    record = NumberRecord("14155550100", "local")
    quiet = Seen(NOW, quiet_since=NOW - 90 * DAY)
    seen = {source: {record.number: quiet} for source in sources_of(Usage(60))}
    kept: list[Kept] = []
    unused, proofs = _by_usage(rule, [record], seen, NOW, kept)
    assert (unused, kept) == ([record], [])
    assert proofs[record.number].checked_since == NOW - 60 * DAY
