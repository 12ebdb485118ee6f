"""Forgetting old runs: `bulkops runs prune --older-than AGE`.

What may go is what nobody can need again to finish work: a run with no task left to send, last
active before the cut-off, that no process is executing. A run with tasks left (it can be resumed)
is kept unless the caller says otherwise, and a locked one always. Lock files go when no one holds
them: a run's once the run is gone, an account's once unused since the cut-off (taken, then
unlinked while held, so a process that opened it first notices and opens a fresh one).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from bulkops.run.journal import Journal, RunInfo, RunLockedError, is_held
from bulkops.run.locks import ACCOUNT_LOCK_PREFIX, LOCK_SUFFIX, take_for_removal

LOCKS: Final = "locks"


@dataclass(frozen=True)
class Pruned:
    """What a prune removed (or, dry, would remove) and the old runs it kept, with why."""

    cutoff: datetime
    runs: tuple[RunInfo, ...]
    kept: tuple[tuple[RunInfo, str], ...]
    lock_files: tuple[str, ...]
    dry_run: bool


def prune(
    journal: Journal, cutoff: datetime, *, dry_run: bool, include_unfinished: bool = False
) -> Pruned:
    """Remove the runs last active before `cutoff` that may go, then the stale lock files."""
    gone: list[RunInfo] = []
    kept: list[tuple[RunInfo, str]] = []
    for info in journal.runs():
        if datetime.fromisoformat(info.updated_at) >= cutoff:
            continue
        reason = _why_kept(journal, info, include_unfinished)
        if reason is None and not dry_run:
            reason = _remove_run(journal, info)
        if reason is None:
            gone.append(info)
        else:
            kept.append((info, reason))
    # Dry, the runs that would go are still there: leave them out all the same.
    known = {info.id for info in journal.runs()} - {info.id for info in gone}
    locks = list(_stale_locks(journal.state_dir / LOCKS, known, cutoff, dry_run=dry_run))
    return Pruned(cutoff, tuple(gone), tuple(kept), tuple(locks), dry_run)


def _why_kept(journal: Journal, info: RunInfo, include_unfinished: bool) -> str | None:
    if journal.is_locked(info.id):
        return "being executed by another bulkops process"
    counts = journal.counts(info.id)
    left = counts["pending"] + counts["inflight"]
    if left and not include_unfinished:
        return f"unfinished: {left} tasks left (resume it, or pass --include-unfinished)"
    return None


def _remove_run(journal: Journal, info: RunInfo) -> str | None:
    """Delete the run under its lock (its lock file goes with the stale ones, just after).

    The reason it stays if a process took it meanwhile.
    """
    try:
        with journal.lock(info.id, tries=1):
            journal.delete_run(info.id)
    except RunLockedError:
        return "being executed by another bulkops process"
    return None


def _stale_locks(locks: Path, runs: set[str], cutoff: datetime, *, dry_run: bool) -> Iterator[str]:
    """The lock files no process holds whose run is gone, or whose account is unused since."""
    if not locks.is_dir():
        return
    for path in sorted(locks.glob(f"*{LOCK_SUFFIX}")):
        name = path.name.removesuffix(LOCK_SUFFIX)
        if name.startswith(ACCOUNT_LOCK_PREFIX):
            if datetime.fromtimestamp(path.stat().st_mtime, cutoff.tzinfo) >= cutoff:
                continue
        elif name in runs:
            continue
        if _remove_lock(path, dry_run=dry_run):
            yield path.name


def _remove_lock(path: Path, *, dry_run: bool) -> bool:
    if dry_run:
        return not is_held(path)
    with contextlib.suppress(FileNotFoundError), take_for_removal(path) as taken:
        if taken:
            os.unlink(path)
            return True
    return False
