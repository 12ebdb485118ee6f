"""The checkpoint journal keeps every run's tasks and states across processes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest

from bulkops.errors import UsageError
from bulkops.limits import FailureBudget, Limits
from bulkops.run import execution
from bulkops.run.execution import Settings
from bulkops.run.journal import (
    DB_NAME,
    LAYOUT_VERSION,
    Batch,
    Journal,
    JournalError,
    Lease,
    Mark,
    RunLockedError,
)
from bulkops.run.outcome import summarize
from bulkops.run.recorder import Recorder
from bulkops.tasks.model import Change
from tests.factories import new_run, task


def _new_run(journal: Journal, n: int = 5) -> str:
    return new_run(journal, [task(f"1415555{i:04d}") for i in range(n)])


def test_a_run_survives_reopening_the_journal(tmp_path: Path) -> None:
    """States written by one process are read back by the next."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal)
    journal.record(run_id, [Mark(0, "succeeded", 1), Mark(1, "failed", 3, "not found")])
    journal.close()

    again = Journal(tmp_path)
    assert execution.resumable(again)[0] is not None
    assert again.counts(run_id)["succeeded"] == 1
    failed = list(again.entries(run_id, ("failed",)))
    assert [(e.task.number, e.attempts, e.error) for e in failed] == [
        ("14155550001", 3, "not found")
    ]
    assert failed[0].task.changes == (Change("alias", None, "x"),)
    assert again.run(run_id) is not None


def test_a_task_reads_back_exactly_as_it_was_written(tmp_path: Path) -> None:
    """Quotes, non-ASCII, control characters, empty and false fields: resume sees the same task."""
    written = [
        task(
            "14155550001",
            {"alias": 'Zoë "front" desk\\\n\t', "app_id": ""},
            number_type="",
            alias="caf\u00e9 \u2603 \x01",
            region=None,
            voice_enabled=True,
            sms_enabled=False,
            renewal_date="2026-12-20",
        ),
        task("14155550002", action="unrent", mms_enabled=True, monthly_rental_rate="0.80000"),
    ]
    journal = Journal(tmp_path)
    run_id = new_run(journal, written)
    journal.close()
    assert [entry.task for entry in Journal(tmp_path).entries(run_id)] == written


def test_every_outcome_of_a_large_mixed_batch_is_recorded(tmp_path: Path) -> None:
    """More marks than one statement takes, of several kinds: each task reads back its own."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 1200)
    kinds = [("succeeded", 1, None), ("failed", 3, "not found"), ("stale", 1, "drifted")]
    marks = [Mark(seq, *kinds[seq % 7 % 3]) for seq in range(1200)]
    journal.record(run_id, Batch(marks))
    got = {e.seq: (e.state, e.attempts, e.error) for e in journal.entries(run_id)}
    assert got == {m.seq: (m.state, m.attempts, m.error) for m in marks}


def test_a_task_marked_twice_in_one_batch_ends_as_its_last_mark_says(tmp_path: Path) -> None:
    """Marks apply in order: the last one decides the state, and every one adds its tries."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 2)
    marks = [Mark(1, "succeeded", 1), Mark(0, "inflight", 1), Mark(0, "succeeded", 1)]
    journal.record(run_id, marks)
    got = {e.seq: (e.state, e.attempts) for e in journal.entries(run_id)}
    assert got == {0: ("succeeded", 2), 1: ("succeeded", 1)}


def test_summary_always_adds_up_to_planned(tmp_path: Path) -> None:
    """Unfinished tasks count as pending, so the outcome counts sum to the plan size."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 6)
    journal.record(run_id, [Mark(0, "succeeded"), Mark(1, "inflight"), Mark(2, "stale")])
    summary = summarize(journal.counts(run_id))
    assert summary["planned"] == 6
    outcomes = ("succeeded", "failed", "unchanged", "stale", "gone", "pending")
    assert sum(summary[k] for k in outcomes) == 6
    assert summary["pending"] == 4
    assert summary["skipped"] == 4  # the older name, kept for scripts


def test_a_run_cannot_be_locked_twice(tmp_path: Path) -> None:
    """A second holder of the same run's lock is refused with a clear message."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal)
    second = Journal(tmp_path)
    with (
        journal.lock(run_id),
        pytest.raises(RunLockedError, match="another bulkops process"),
        second.lock(run_id),
    ):
        pass
    with journal.lock(run_id):  # released again
        pass


def test_unusable_state_dir_is_a_clear_error(tmp_path: Path) -> None:
    """A state directory that is a file gives a JournalError, not a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(blocker)


async def test_concurrent_starts_share_one_commit(tmp_path: Path) -> None:
    """Workers that start at the same moment are made durable by a single commit."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 8)
    recorder = Recorder(lambda marks: journal.record(run_id, marks))
    async with anyio.create_task_group() as group:
        for seq in range(8):
            group.start_soon(recorder.started, seq)
    assert recorder.commits == 1
    assert journal.counts(run_id)["inflight"] == 8


async def test_a_started_task_is_durable_before_started_returns(tmp_path: Path) -> None:
    """Once started() returns, another connection already sees the task in flight."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 2)
    recorder = Recorder(lambda marks: journal.record(run_id, marks))
    await recorder.started(1)
    assert Journal(tmp_path).counts(run_id)["inflight"] == 1
    recorder.finished(Mark(1, "succeeded", 1))
    assert Journal(tmp_path).counts(run_id)["succeeded"] == 0  # batched, not yet written
    recorder.flush()
    assert Journal(tmp_path).counts(run_id)["succeeded"] == 1


def test_iterating_unfinished_tasks_while_recording_sees_each_once(tmp_path: Path) -> None:
    """Tasks read in batches while earlier ones are being marked done are each seen exactly once."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 23)
    seen: list[int] = []
    for row in journal.iter_entries(run_id, ("pending", "inflight"), batch=5):
        seen.append(row.seq)
        journal.record(run_id, [Mark(row.seq, "succeeded", 1)])
    assert seen == list(range(23))
    assert journal.counts(run_id)["succeeded"] == 23


def test_a_run_whose_process_died_reads_as_not_locked(tmp_path: Path) -> None:
    """`is_locked` tells a run being executed now from one whose process is gone."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal)
    with journal.lock(run_id):
        assert Journal(tmp_path).is_locked(run_id)
    assert not Journal(tmp_path).is_locked(run_id)


async def test_a_flush_with_nothing_in_flight_still_covers_the_next_task(tmp_path: Path) -> None:
    """After every started task finished and was flushed, the next one is still leased."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 10)
    recorder = Recorder(lambda batch: journal.record(run_id, batch), ahead=4)
    await recorder.started(0)
    recorder.finished(Mark(0, "succeeded", 1))
    recorder.flush()
    await recorder.started(1)  # within the lease already: no commit of its own
    lease = journal.lease(run_id)
    assert lease is not None
    assert lease.lo <= 1 < lease.hi
    assert next(e.seq for e in Journal(tmp_path).entries(run_id, ("inflight",))) == 1


def test_a_lease_never_shrinks_until_it_is_released(tmp_path: Path) -> None:
    """A narrower lease written later cannot uncover tasks a dead process may have sent."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 10)
    journal.record(run_id, Batch(lease=Lease(0, 8)))
    journal.record(run_id, Batch(lease=Lease(2, 4)))
    assert journal.lease(run_id) == Lease(2, 8)
    assert journal.counts(run_id)["inflight"] == 6
    journal.record(run_id, Batch(release=True))
    assert journal.lease(run_id) is None


def test_a_run_with_only_tasks_in_flight_is_resumable(tmp_path: Path) -> None:
    """A run killed with every remaining task in flight is still what `resume` picks."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 3)
    journal.record(run_id, [Mark(0, "succeeded", 1)])
    journal.record(run_id, Batch(lease=Lease(1, 3)))
    assert journal.counts(run_id)["pending"] == 0
    latest = execution.resumable(journal)[0]
    assert latest is not None
    assert latest.id == run_id


def test_retrying_failed_tasks_leaves_stale_ones_alone(tmp_path: Path) -> None:
    """--retry-failed re-queues failures only: a number that drifted since review stays stale."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 3)
    journal.record(run_id, [Mark(0, "failed", 1, "no"), Mark(1, "stale"), Mark(2, "succeeded")])
    assert journal.retry_failed(run_id) == 1
    counts = journal.counts(run_id)
    assert (counts["pending"], counts["stale"], counts["failed"]) == (1, 1, 0)


def test_a_failed_write_is_rolled_back_whole(tmp_path: Path) -> None:
    """A batch that fails half-way writes none of its marks, and the journal stays usable."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 3)
    unwritable = Mark(1, "failed", 1, error=object())  # type: ignore[arg-type]
    with pytest.raises(JournalError, match="journal write failed"):
        journal.record(run_id, [Mark(0, "succeeded", 1), unwritable])
    assert journal.counts(run_id)["succeeded"] == 0
    journal.record(run_id, [Mark(0, "succeeded", 1)])
    assert Journal(tmp_path).counts(run_id)["succeeded"] == 1


LAYOUT_1 = Path(__file__).parent.parent / "fixtures" / "journals" / "layout1.sql"


def test_a_journal_of_the_first_layout_is_migrated_when_opened(tmp_path: Path) -> None:
    """A state directory written by bulkops before the layout was versioned keeps its runs."""
    old = sqlite3.connect(tmp_path / DB_NAME)
    old.executescript(LAYOUT_1.read_text())
    old.close()
    journal = Journal(tmp_path)
    [info] = journal.runs()
    assert (info.auth_id, info.location, info.status) == (
        "MA" + "A" * 18,
        "https://api.plivo.com",
        "interrupted",
    )
    assert Settings.of(info).limits == Limits(
        rate=20.0, concurrency=4, max_failures=FailureBudget(percent=5.0)
    )
    entries = {e.seq: e for e in journal.entries(info.id)}
    assert entries[0].task.changes == (Change("alias", "old", "new"),)
    assert entries[0].state == "succeeded"
    assert (entries[1].task.action, entries[1].state) == ("unrent", "inflight")  # leased
    assert (entries[2].task.body, entries[2].state) == ((), "unchanged")
    assert execution.resumable(journal)[0] == info
    journal.close()
    version = sqlite3.connect(tmp_path / DB_NAME).execute("PRAGMA user_version").fetchone()[0]
    assert version == LAYOUT_VERSION


def test_a_journal_from_a_newer_bulkops_is_refused_clearly(tmp_path: Path) -> None:
    """A journal whose layout this bulkops does not know is never read or rewritten."""
    Journal(tmp_path).close()
    newer = sqlite3.connect(tmp_path / DB_NAME)
    newer.execute(f"PRAGMA user_version = {LAYOUT_VERSION + 1}")
    newer.close()
    with pytest.raises(JournalError, match="written by a newer bulkops"):
        Journal(tmp_path)


def test_the_state_dir_and_journal_are_private(tmp_path: Path) -> None:
    """Journals name accounts and numbers: the directory is 0700 and the file 0600."""
    state = tmp_path / "state"
    Journal(state).close()
    assert state.stat().st_mode & 0o777 == 0o700
    assert (state / DB_NAME).stat().st_mode & 0o777 == 0o600
    state.chmod(0o755)
    (state / DB_NAME).chmod(0o644)
    Journal(state).close()
    assert state.stat().st_mode & 0o777 == 0o700
    assert (state / DB_NAME).stat().st_mode & 0o777 == 0o600


def test_a_damaged_journal_is_a_clear_error(tmp_path: Path) -> None:
    """A corrupted journal page gives a message saying what to do, not a sqlite traceback."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 400)
    journal.close()
    data = bytearray((tmp_path / DB_NAME).read_bytes())
    data[4096 * 2 : 4096 * 6] = b"\xff" * (4096 * 4)  # trample some table pages
    (tmp_path / DB_NAME).write_bytes(bytes(data))

    def read_it() -> None:
        again = Journal(tmp_path)
        list(again.entries(run_id))
        again.counts(run_id)

    with pytest.raises(JournalError, match="is damaged") as caught:
        read_it()
    assert "Move" in str(caught.value)


def test_a_run_survives_losing_the_wal_file(tmp_path: Path) -> None:
    """A new run is in the main journal file at once: deleting journal.sqlite3-wal keeps it."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 5)
    wal = tmp_path / f"{DB_NAME}-wal"
    assert wal.exists()
    wal.unlink()
    (tmp_path / f"{DB_NAME}-shm").unlink(missing_ok=True)
    again = Journal(tmp_path)
    assert again.run(run_id) is not None
    assert again.counts(run_id)["pending"] == 5


def test_a_read_only_journal_never_migrates_an_older_layout(tmp_path: Path) -> None:
    """`runs` and `show` read; upgrading the layout is left to a command that writes."""
    Journal(tmp_path).close()
    older = sqlite3.connect(tmp_path / DB_NAME)
    older.execute(f"PRAGMA user_version = {LAYOUT_VERSION - 1}")
    older.close()
    with pytest.raises(JournalError, match="older layout"):
        Journal.read_only(tmp_path)
    version = sqlite3.connect(tmp_path / DB_NAME).execute("PRAGMA user_version").fetchone()[0]
    assert version == LAYOUT_VERSION - 1


def test_a_read_only_journal_needs_one_to_exist(tmp_path: Path) -> None:
    """Reading an empty state directory is a clear error and creates nothing there."""
    with pytest.raises(JournalError, match="no bulkops journal"):
        Journal.read_only(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_journal_sees_a_run_being_written(tmp_path: Path) -> None:
    """A reader opened while a writer is at work sees its committed marks."""
    journal = Journal(tmp_path)
    run_id = _new_run(journal, 3)
    journal.record(run_id, [Mark(0, "succeeded", 1)])
    reader = Journal.read_only(tmp_path)
    assert reader.counts(run_id)["succeeded"] == 1
    journal.record(run_id, [Mark(1, "failed", 1, "nope")])
    assert reader.counts(run_id)["failed"] == 1
    assert not reader.is_locked(run_id)
    with journal.lock(run_id):
        assert reader.is_locked(run_id)


def test_a_run_is_named_by_its_id_latest_or_a_unique_prefix(tmp_path: Path) -> None:
    """`latest` is the newest run; any prefix naming one run names it; an exact id always wins."""
    journal = Journal(tmp_path)
    older = _new_run(journal)
    newer = _new_run(journal)
    # Made within the same second: date the older one back, as a run made earlier would be.
    writer = sqlite3.connect(tmp_path / DB_NAME)
    writer.execute(
        "UPDATE runs SET created_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (older,)
    )
    writer.commit()
    writer.close()
    assert journal.resolve("latest").id == newer
    assert journal.resolve(older).id == older
    for ref in (newer[:-1], newer[:-3]):  # the random tails differ: prefixes inside them
        if not older.startswith(ref):
            assert journal.resolve(ref).id == newer


def test_of_runs_made_within_one_second_the_last_made_is_the_latest(tmp_path: Path) -> None:
    """Scripts apply twice in a second: `latest`, `runs` and resume's choice follow the order
    the runs were made in, never the random tails of their ids."""
    journal = Journal(tmp_path)
    made = [_new_run(journal) for _ in range(8)]
    writer = sqlite3.connect(tmp_path / DB_NAME)
    writer.execute("UPDATE runs SET created_at = '2026-12-05T08:00:00+00:00'")
    writer.commit()
    writer.close()
    assert [run.id for run in journal.runs()] == made[::-1]
    assert journal.resolve("latest").id == made[-1]


def test_an_ambiguous_run_prefix_lists_the_candidates(tmp_path: Path) -> None:
    """A prefix two runs share is a usage error (exit 2) that names both."""
    journal = Journal(tmp_path)
    ids = {_new_run(journal), _new_run(journal)}
    shared = min(ids)[:9]  # the date: both were made today
    with pytest.raises(UsageError, match="ambiguous") as caught:
        journal.resolve(shared)
    assert caught.value.exit_code == 2
    assert all(run_id in str(caught.value) for run_id in ids)


def test_an_unknown_or_empty_run_ref_is_a_usage_error(tmp_path: Path) -> None:
    """Nothing matching, `latest` of no runs and an empty string are each a clear error."""
    journal = Journal(tmp_path)
    with pytest.raises(UsageError, match="no runs in"):
        journal.resolve("latest")
    _new_run(journal)
    with pytest.raises(UsageError, match="no run '1999'"):
        journal.resolve("1999")
    with pytest.raises(UsageError, match="no run ''"):
        journal.resolve("")


def test_a_new_runs_tasks_are_handed_over_once_numbered_as_the_journal_holds_them() -> None:
    tasks = [task(f"1415555{i:04d}") for i in range(3)]
    handed = execution.NewRun("run", tasks)
    assert [(entry.seq, entry.task) for entry in handed] == list(enumerate(tasks))
    with pytest.raises(RuntimeError, match="handed over"):
        iter(handed)  # a second pass would number what is left from 0 again


@pytest.mark.parametrize("option", [{"retry_failed": True}, {"checked": object()}])
async def test_a_new_run_is_not_run_with_options_that_rewrite_the_journal(
    tmp_path: Path, option: dict[str, object]
) -> None:
    """Its tasks come from memory: a state rewritten in the journal would not be seen."""
    handed = execution.NewRun("run", [task()])
    with pytest.raises(ValueError, match="journal"):
        await execution.execute(Journal(tmp_path), handed, None, max_failures=None, **option)  # type: ignore[arg-type]
