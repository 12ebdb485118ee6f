"""`runs prune` forgets only what nobody needs to finish work, and no lock it removes is in use."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from bulkops.run.journal import DB_NAME, Journal, Mark
from bulkops.run.locks import hold_account, take_for_removal
from bulkops.run.prune import prune
from tests.factories import new_run, task

NOW = datetime.now(UTC)
CUTOFF = NOW - timedelta(days=30)


def _aged(journal: Journal, run_id: str, days: int) -> None:
    """Make the run last active `days` ago."""
    when = (NOW - timedelta(days=days)).isoformat(timespec="seconds")
    db = sqlite3.connect(journal.state_dir / DB_NAME)
    db.execute("UPDATE runs SET created_at = ?, updated_at = ? WHERE id = ?", (when, when, run_id))
    db.commit()
    db.close()


def _run(journal: Journal, *, days: int, done: bool) -> str:
    run_id = new_run(journal, [task("14155550100"), task("14155550101")])
    if done:
        journal.record(run_id, [Mark(0, "succeeded", 1), Mark(1, "failed", 1, "no")])
        journal.set_status(run_id, "finished")
    _aged(journal, run_id, days)
    return run_id


def test_old_finished_runs_go_and_recent_or_unfinished_ones_stay(tmp_path: Path) -> None:
    """A finished run past the cut-off is pruned; a recent one untouched; a resumable one kept."""
    journal = Journal(tmp_path)
    old = _run(journal, days=40, done=True)
    recent = _run(journal, days=3, done=True)
    unfinished = _run(journal, days=40, done=False)
    pruned = prune(journal, CUTOFF, dry_run=False)
    assert [info.id for info in pruned.runs] == [old]
    assert [(info.id, reason.split(":")[0]) for info, reason in pruned.kept] == [
        (unfinished, "unfinished")
    ]
    assert {info.id for info in journal.runs()} == {recent, unfinished}
    assert list(journal.entries(old)) == []


def test_a_dry_run_removes_nothing_and_says_the_same(tmp_path: Path) -> None:
    """`--dry-run` reports exactly what a real prune then does."""
    journal = Journal(tmp_path)
    old = _run(journal, days=40, done=True)
    dry = prune(journal, CUTOFF, dry_run=True)
    assert [info.id for info in dry.runs] == [old]
    assert journal.run(old) is not None
    real = prune(journal, CUTOFF, dry_run=False)
    assert [info.id for info in real.runs] == [old]
    assert journal.run(old) is None


def test_include_unfinished_prunes_resumable_runs_but_never_a_locked_one(tmp_path: Path) -> None:
    """--include-unfinished lets resumable runs go; a run a process is executing always stays."""
    journal = Journal(tmp_path)
    idle = _run(journal, days=40, done=False)
    busy = _run(journal, days=40, done=False)
    with journal.lock(busy):
        pruned = prune(journal, CUTOFF, dry_run=False, include_unfinished=True)
    assert [info.id for info in pruned.runs] == [idle]
    assert [(info.id, reason) for info, reason in pruned.kept] == [
        (busy, "being executed by another bulkops process")
    ]


def test_lock_files_go_with_their_run_or_when_unused_since_the_cutoff(tmp_path: Path) -> None:
    """A pruned run's lock file, an orphan one, and an account lock unused for long are removed."""
    journal = Journal(tmp_path)
    old = _run(journal, days=40, done=True)
    kept = _run(journal, days=1, done=True)
    locks = tmp_path / "locks"
    for run_id in (old, kept, "20000101-000000-000000"):
        with journal.lock(run_id):
            pass
    for name, days in (("account-MAOLD.lock", 40), ("account-MANEW.lock", 1)):
        (locks / name).touch()
        stamp = (NOW - timedelta(days=days)).timestamp()
        os.utime(locks / name, (stamp, stamp))
    pruned = prune(journal, CUTOFF, dry_run=False)
    assert sorted(pruned.lock_files) == sorted(
        [f"{old}.lock", "20000101-000000-000000.lock", "account-MAOLD.lock"]
    )
    assert sorted(p.name for p in locks.iterdir()) == sorted([f"{kept}.lock", "account-MANEW.lock"])


async def test_an_account_lock_held_now_is_never_removed(tmp_path: Path) -> None:
    """The lock of an account a run is using stays, however old its file looks."""
    journal = Journal(tmp_path)
    async with hold_account(tmp_path, "MABUSY", holder="test"):
        path = tmp_path / "locks" / "account-MABUSY.lock"
        os.utime(path, (0, 0))
        assert prune(journal, CUTOFF, dry_run=False).lock_files == ()
        assert path.exists()


async def test_a_process_waiting_on_a_removed_lock_file_takes_a_fresh_one(tmp_path: Path) -> None:
    """One who opened the account's lock file before prune unlinked it never holds a dead file.

    Otherwise it and a newcomer (who creates a new file) could both hold "the" account lock.
    """
    path = tmp_path / "locks" / "account-MAX.lock"
    async with hold_account(tmp_path, "MAX", holder="first"):
        pass
    held: dict[str, int] = {}

    async def waiter() -> None:
        async with hold_account(tmp_path, "MAX", holder="waiter", wait=True) as lock:
            held["inode"] = os.fstat(lock._fd).st_ino

    with contextlib.ExitStack() as stack:
        assert stack.enter_context(take_for_removal(path))
        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.sleep(0.1)  # the waiter has opened the old file and waits for it
            path.unlink()
            stack.close()
    assert held["inode"] == path.stat().st_ino
