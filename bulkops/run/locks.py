"""One run per account at a time in a state directory: a lock file the OS frees if we die.

Two cron runs of the same cleanup must not both unrent a number. `hold_account` is taken before
anything is listed and kept until the command ends; the file names its holder, so the one
refused can say which run is in the way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import anyio

from bulkops.run.journal import RunLockedError, StateDirError

POLL: Final = 0.5  # seconds between tries while queued behind another run (--wait)
ACCOUNT_LOCK_PREFIX: Final = "account-"
LOCK_SUFFIX: Final = ".lock"


class AccountLock:
    """The held lock: `note` tells whoever is refused what holds it now."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def note(self, holder: str) -> None:
        text = f"{holder} (pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode(), 0)


@contextlib.asynccontextmanager
async def hold_account(
    state_dir: Path,
    auth_id: str,
    *,
    holder: str,
    wait: bool = False,
    on_wait: Callable[[str], None] = lambda holder: None,
) -> AsyncIterator[AccountLock]:
    """Hold the account's lock; RunLockedError if another process holds it (unless `wait`)."""
    path = state_dir / "locks" / f"{ACCOUNT_LOCK_PREFIX}{auth_id}{LOCK_SUFFIX}"
    fd = _open(path, auth_id, state_dir)
    try:
        told = False
        while True:
            if _try_lock(fd):
                if _same_file(fd, path):
                    break
                # `runs prune` removed the file between our open and our lock: open the new one.
                os.close(fd)
                fd = -1
                fd = _open(path, auth_id, state_dir)
                continue
            other = _holder(fd)
            if not wait:
                raise RunLockedError(
                    f"account {auth_id} is busy in {state_dir}: {other}. Two runs at once "
                    "could send the same change twice; wait for it, or pass --wait to queue"
                )
            if not told:
                on_wait(other)
                told = True
            await anyio.sleep(POLL)
        lock = AccountLock(fd)
        lock.note(holder)
        yield lock
    finally:
        if fd >= 0:
            os.close(fd)  # also releases the lock


@contextlib.contextmanager
def take_for_removal(path: Path) -> Iterator[bool]:
    """Hold the lock file at `path` if nobody does (True) so that it can be unlinked safely.

    Unlinked while held: a process that opened it before waits for the lock, then sees that the
    path no longer names its file (`hold_account` checks) and opens a new one.
    """
    fd = os.open(path, os.O_RDWR)
    try:
        yield _try_lock(fd) and _same_file(fd, path)
    finally:
        os.close(fd)


def _open(path: Path, auth_id: str, state_dir: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateDirError(f"cannot lock account {auth_id} in {state_dir}: {exc}") from None


def _same_file(fd: int, path: Path) -> bool:
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    text = os.pread(fd, 500, 0).decode(errors="replace").strip()
    return text or "another bulkops process"
