"""The checkpoint journal: every run's frozen task list and each task's state, in SQLite.

Before a task's request is sent, the task is covered by a committed *lease*: a range of the run's
task numbers (seq) whose tasks, while still `pending`, may have been sent. Reads show those tasks
as `inflight`. One commit leases a block of tasks ahead of the workers, so a run does not pay a
commit (and a row write) per task for this guarantee; writing `inflight` marks explicitly works
too. After the answer a task is written with its outcome. Completion marks may sit in a batch
for a moment: if the process dies first, the task still reads `inflight`, and resume checks the
number with a GET instead of sending blindly, so no completed work is lost and nothing is sent
twice. WAL with synchronous=NORMAL survives kill -9 (the OS keeps what was written); a power cut
may lose the last few marks, which resume re-checks.

The file carries its layout version (`PRAGMA user_version`); a journal of an older layout is
migrated when opened, one of a newer layout is refused with a message saying so.

Commands that only look (`runs`, `show`) open it read-only (`Journal.read_only`): SQLite's
`mode=ro`, no chmod, no migration, no lock file; on a state directory that is not writable (no
owner write bit, or not writable by us) nothing of ours can be writing, so it is opened
`immutable` unless a crashed writer left its -wal behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, get_args

from bulkops.errors import Failed, Refused, UsageError
from bulkops.tasks.model import Task, body_json, decode_task, lean_before_json

DB_NAME: Final = "journal.sqlite3"
LAYOUT_VERSION: Final = 2
WAL_CHECKPOINT_PAGES: Final = 10_000
LATEST: Final = "latest"  # names the newest run wherever a run id is taken
CANDIDATES_SHOWN: Final = 10  # runs listed when an id prefix is ambiguous
_SEQS_PER_UPDATE: Final = 500  # SQLite before 3.32 takes at most 999 parameters per statement

TaskState = Literal["pending", "inflight", "succeeded", "failed", "unchanged", "stale", "gone"]
TASK_STATES: Final[tuple[TaskState, ...]] = get_args(TaskState)
RunStatus = Literal["running", "interrupted", "stopped", "finished"]

# No index on a task's state: every finished task changes it, so one cost a B-tree delete and
# insert per task (40 % of recording an outcome), while the queries that filter on state read
# one run's rows in seq order through the primary key anyway. A journal made with the index
# (by an earlier bulkops) works the same.
_TABLES: Final = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    plan_name TEXT,
    source TEXT,
    fingerprint TEXT NOT NULL,
    auth_id TEXT NOT NULL,
    location TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE tasks (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    rule TEXT NOT NULL,
    action TEXT NOT NULL,
    body TEXT NOT NULL,
    before TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE leases (
    run_id TEXT PRIMARY KEY REFERENCES runs(id),
    lo INTEGER NOT NULL,
    hi INTEGER NOT NULL
) WITHOUT ROWID;
"""
# Layout 1 (bulkops 0.1 before the journal had a version): account in the settings JSON, the
# changes stored beside the body, and unchanged numbers as action "unchanged" without a record.
_FROM_LAYOUT_1: Final = (
    """
ALTER TABLE runs RENAME TO runs_v1;
ALTER TABLE tasks RENAME TO tasks_v1;
ALTER TABLE leases RENAME TO leases_v1;
DROP INDEX IF EXISTS tasks_state;
"""
    + _TABLES
    + """
INSERT INTO runs SELECT
    id, plan_name, source, fingerprint,
    coalesce(json_extract(settings, '$.auth_id'), ''),
    CASE WHEN json_extract(settings, '$.sandbox') THEN 'sandbox'
         ELSE coalesce(json_extract(settings, '$.api_url'), '') END,
    created_at, updated_at, status,
    json_object(
        'limits', json_object(
            'rate', json_extract(settings, '$.rate'),
            'concurrency', json_extract(settings, '$.concurrency'),
            'max_failures', CASE
                WHEN json_extract(settings, '$.max_failures.count') IS NOT NULL
                    THEN CAST(json_extract(settings, '$.max_failures.count') AS TEXT)
                WHEN json_extract(settings, '$.max_failures.percent') IS NOT NULL
                    THEN printf('%g%%', json_extract(settings, '$.max_failures.percent'))
                END),
        'sandbox', json(CASE WHEN json_extract(settings, '$.sandbox') THEN 'true'
                             ELSE 'false' END),
        'sandbox_numbers', json_extract(settings, '$.sandbox_numbers'))
    FROM runs_v1;
INSERT INTO tasks SELECT
    run_id, seq, number, rule,
    CASE action WHEN 'unchanged' THEN 'update' ELSE action END,
    body,
    CASE WHEN before = '{}' THEN json_object('number', number, 'number_type', '') ELSE before END,
    state, attempts, error
    FROM tasks_v1;
INSERT INTO leases SELECT * FROM leases_v1;
DROP TABLE leases_v1;
DROP TABLE tasks_v1;
DROP TABLE runs_v1;
"""
)
# A pending task inside its run's lease may have been sent: every read shows it as in flight.
_SHOWN: Final = (
    "CASE WHEN state = 'pending' AND seq >= :lo AND seq < :hi THEN 'inflight' ELSE state END"
)
# created_at counts whole seconds and an id's tail is random: within a second, the row made
# last (the highest rowid: SQLite gives a new row one more than the highest) is the newest.
_NEWEST_FIRST: Final = "ORDER BY created_at DESC, rowid DESC"
_COLUMNS: Final = f"seq, number, rule, action, body, before, {_SHOWN}, attempts, error"


class JournalError(Failed):
    """The journal cannot be opened, read or written; the message says why."""


class StateDirError(JournalError):
    """The state directory is unusable (not a directory, unreadable, or absent when reading)."""


class RunLockedError(Refused):
    """Another bulkops process is executing this run."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One task of a run and where it stands."""

    seq: int
    task: Task
    state: TaskState = "pending"
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: str
    plan_name: str | None
    source: str | None
    fingerprint: str  # a reviewed plan's; "" for a YAML plan's run (execution.recorded_fingerprint)
    auth_id: str
    location: str  # the account's API URL, or "sandbox"
    created_at: str
    updated_at: str
    status: RunStatus
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Mark:
    """A state change for one task, as the executor reports it."""

    seq: int
    state: TaskState
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    """The tasks with lo <= seq < hi that are still pending may have been sent."""

    lo: int
    hi: int


class Batch(list[Mark]):
    """Marks to write in one transaction, with the writer's lease (or its release) riding along.

    A list of marks, so any writer that takes marks (a test's, the benchmark's no-op) takes it.
    """

    def __init__(
        self, marks: Iterable[Mark] = (), lease: Lease | None = None, release: bool = False
    ) -> None:
        super().__init__(marks)
        self.lease = lease
        self.release = release


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


class Journal:
    """One SQLite file under the state directory, holding every run."""

    def __init__(self, state_dir: Path, *, create: bool = True) -> None:
        """Open the journal; with create=False (read-only commands) a missing one is an error."""
        self.state_dir = state_dir
        if not create:
            _require(state_dir)
        try:
            _private(state_dir)
            self._db = sqlite3.connect(state_dir / DB_NAME, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            # A checkpoint (copy back and fsync) runs inside the commit that triggers it, on the
            # event loop: at SQLite's default of every 1,000 pages a run spends a third of its
            # journal time there. Every 10,000 pages (~40 MB of WAL) makes it rare.
            self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            self._settle_layout()
        except sqlite3.Error as exc:
            raise StateDirError(_problem(state_dir, exc, "cannot open the journal")) from None
        except OSError as exc:
            raise StateDirError(f"cannot open the journal in {state_dir}: {exc}") from None

    @classmethod
    def read_only(cls, state_dir: Path) -> Journal:
        """Open an existing journal only to read it: nothing in `state_dir` is created or changed.

        `runs` and `show` must work on a directory the user may not write (a backup, a mount).
        """
        _require(state_dir)
        journal = cls.__new__(cls)
        journal.state_dir = state_dir
        try:
            journal._db = sqlite3.connect(_read_only_uri(state_dir), uri=True)
            journal._db.execute("PRAGMA busy_timeout=5000")
            journal._check_layout_readable()
        except sqlite3.Error as exc:
            raise StateDirError(_problem(state_dir, exc, "cannot open the journal")) from None
        return journal

    def _check_layout_readable(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > LAYOUT_VERSION:
            raise StateDirError(_newer_layout(self.state_dir, version))
        if version < LAYOUT_VERSION:
            # Migrating is a write: the next command that writes (apply, resume) does it.
            raise StateDirError(
                f"the journal in {self.state_dir} has an older layout ({version}); run "
                "`bulkops resume` or `bulkops apply` with this state directory once to upgrade it"
            )

    def _settle_layout(self) -> None:
        """Create the tables, or migrate an older layout; refuse a newer one."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        has_runs = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'"
        ).fetchone()
        if version == LAYOUT_VERSION:
            return
        if version > LAYOUT_VERSION:
            raise StateDirError(_newer_layout(self.state_dir, version))
        script = _FROM_LAYOUT_1 if has_runs else _TABLES
        # executescript commits first and runs outside our transaction helper: wrap it whole.
        self._db.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {LAYOUT_VERSION};\nCOMMIT;"
        )

    def close(self) -> None:
        self._db.close()

    def create_run(
        self,
        *,
        plan_name: str | None,
        source: str | None,
        fingerprint: str,
        auth_id: str,
        location: str,
        settings: dict[str, Any],
        entries: Iterable[Entry],
    ) -> str:
        """Freeze a run's task list; return the new run's id."""
        run_id = new_run_id()
        now = _now()
        with self._transaction():
            self._db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                (
                    run_id,
                    plan_name,
                    source,
                    fingerprint,
                    auth_id,
                    location,
                    now,
                    now,
                    json.dumps(settings),
                ),
            )
            self._db.executemany(
                "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_entry_values(run_id, entry) for entry in entries),
            )
        # Into the main file at once: a run must not vanish with a lost -wal file.
        self._read("PRAGMA wal_checkpoint(PASSIVE)")
        return run_id

    def record(self, run_id: str, marks: Sequence[Mark]) -> None:
        """Write a batch of task state changes, and a Batch's lease, in one transaction.

        A lease only ever widens upwards (`hi` keeps the largest value written) until released,
        so a resumed process cannot uncover tasks that a dead one may have sent.
        """
        lease = marks.lease if isinstance(marks, Batch) else None
        release = isinstance(marks, Batch) and marks.release
        if not marks and lease is None and not release:
            return
        with self._transaction():
            if len({mark.seq for mark in marks}) < len(marks):
                # A task marked twice: each mark adds its attempts, in order.
                self._db.executemany(
                    "UPDATE tasks SET state = ?, attempts = attempts + ?, error = ? "
                    "WHERE run_id = ? AND seq = ?",
                    [(m.state, m.attempts, m.error, run_id, m.seq) for m in marks],
                )
            else:
                self._record_alike(run_id, marks)
            if release:
                self._db.execute("DELETE FROM leases WHERE run_id = ?", (run_id,))
            elif lease is not None:
                self._db.execute(
                    "INSERT INTO leases VALUES (?, ?, ?) ON CONFLICT (run_id) "
                    "DO UPDATE SET lo = excluded.lo, hi = MAX(hi, excluded.hi)",
                    (run_id, lease.lo, lease.hi),
                )

    def _record_alike(self, run_id: str, marks: Sequence[Mark]) -> None:
        # One statement per kind of outcome: nearly every mark of a batch is the same
        # "succeeded after 1 try", and one UPDATE of many rows costs less than many UPDATEs.
        alike: dict[tuple[TaskState, int, str | None], list[int]] = {}
        for mark in marks:
            alike.setdefault((mark.state, mark.attempts, mark.error), []).append(mark.seq)
        for (state, attempts, error), seqs in alike.items():
            for start in range(0, len(seqs), _SEQS_PER_UPDATE):
                chunk = seqs[start : start + _SEQS_PER_UPDATE]
                self._db.execute(
                    "UPDATE tasks SET state = ?, attempts = attempts + ?, error = ? "
                    f"WHERE run_id = ? AND seq IN ({', '.join('?' * len(chunk))})",
                    (state, attempts, error, run_id, *chunk),
                )

    def lease(self, run_id: str) -> Lease | None:
        """The run's current lease, if a process holds (or a dead one left) one."""
        rows = self._read("SELECT lo, hi FROM leases WHERE run_id = ?", (run_id,))
        return Lease(*rows[0]) if rows else None

    def _bounds(self, run_id: str) -> dict[str, Any]:
        lease = self.lease(run_id) or Lease(0, 0)
        return {"run": run_id, "lo": lease.lo, "hi": lease.hi}

    def set_status(self, run_id: str, status: RunStatus) -> None:
        """Only `bulkops.run.execution` calls this: a run's status is written in one place."""
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET status = ?, updated_at = ? WHERE id = ?", (status, _now(), run_id)
            )

    def delete_run(self, run_id: str) -> None:
        """Forget a run and its tasks (`runs prune`); the caller holds the run's lock."""
        with self._transaction():
            for table, key in (("tasks", "run_id"), ("leases", "run_id"), ("runs", "id")):
                self._db.execute(f"DELETE FROM {table} WHERE {key} = ?", (run_id,))

    def retry_failed(self, run_id: str) -> int:
        """Put a run's failed tasks back in the queue; return how many."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE tasks SET state = 'pending', error = NULL "
                "WHERE run_id = ? AND state = 'failed'",
                (run_id,),
            )
        return cursor.rowcount

    def runs(self) -> list[RunInfo]:
        rows = self._read(f"SELECT * FROM runs {_NEWEST_FIRST}")
        return [_run_info(row) for row in rows]

    def run(self, run_id: str) -> RunInfo | None:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _run_info(rows[0]) if rows else None

    def resolve(self, ref: str) -> RunInfo:
        """The run `ref` names: a whole id, `latest` (the newest run), or a unique id prefix.

        Every command that takes a RUN_ID reads it through here, so they all accept the same
        forms; UsageError (exit 2) when nothing, or more than one run, matches.
        """
        if ref == LATEST:
            rows = self._read(f"SELECT * FROM runs {_NEWEST_FIRST} LIMIT 1")
            if not rows:
                raise UsageError(f"no runs in {self.state_dir}: `latest` names none")
            return _run_info(rows[0])
        exact = self.run(ref)
        if exact is not None:
            return exact
        rows = self._read(
            f"SELECT * FROM runs WHERE ? != '' AND substr(id, 1, ?) = ? {_NEWEST_FIRST} LIMIT ?",
            (ref, len(ref), ref, CANDIDATES_SHOWN + 1),
        )
        if len(rows) == 1:
            return _run_info(rows[0])
        if not rows:
            raise UsageError(f"no run {ref!r} in {self.state_dir} (see `bulkops runs`)")
        raise UsageError(_ambiguous(ref, [row[0] for row in rows]))

    def entries(self, run_id: str, states: Sequence[TaskState] | None = None) -> Iterator[Entry]:
        """Stream a run's tasks in order, optionally only those in `states`."""
        where, params = _state_filter(states, self._bounds(run_id))
        try:
            cursor = self._db.execute(
                f"SELECT {_COLUMNS} FROM tasks WHERE run_id = :run{where} ORDER BY seq", params
            )
            for row in cursor:
                yield _entry(row)
        except sqlite3.Error as exc:
            raise JournalError(_problem(self.state_dir, exc, "cannot read the journal")) from None

    def iter_entries(
        self, run_id: str, states: Sequence[TaskState], batch: int = 500
    ) -> Iterator[Entry]:
        """Like `entries`, but in batches of fresh queries, so the run may write while it reads.

        Keyset paging (seq > last seen) keeps memory flat for any run size and never holds a
        cursor open across writes to the same table.
        """
        last = -1
        while True:
            where, params = _state_filter(states, self._bounds(run_id))
            rows = self._read(
                f"SELECT {_COLUMNS} FROM tasks WHERE run_id = :run AND seq > :last{where} "
                "ORDER BY seq LIMIT :batch",
                {**params, "last": last, "batch": batch},
            )
            yield from (_entry(row) for row in rows)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def counts(self, run_id: str) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(TASK_STATES, 0)
        rows = self._read(
            f"SELECT {_SHOWN} AS shown, COUNT(*) FROM tasks WHERE run_id = :run GROUP BY shown",
            self._bounds(run_id),
        )
        counts.update(dict(rows))
        return counts

    def is_locked(self, run_id: str) -> bool:
        """Whether a live process holds the run's lock right now; creates nothing to find out."""
        return is_held(self.state_dir / "locks" / f"{run_id}.lock")

    @contextlib.contextmanager
    def lock(self, run_id: str, tries: int = 5) -> Iterator[None]:
        """Hold the run's lock file; the OS releases it if the process dies."""
        try:
            locks = self.state_dir / "locks"
            locks.mkdir(exist_ok=True)
            fd = os.open(locks / f"{run_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateDirError(f"cannot lock run {run_id} in {self.state_dir}: {exc}") from None
        try:
            _acquire(fd, run_id, tries)
            yield
        finally:
            os.close(fd)

    def _read(self, sql: str, params: Any = ()) -> list[Any]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(_problem(self.state_dir, exc, "cannot read the journal")) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise JournalError(_problem(self.state_dir, exc, "journal write failed")) from None


def is_held(path: Path) -> bool:
    """Whether some process holds the lock file at `path` (absent: nobody ever took it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StateDirError(f"cannot read the lock file {path}: {exc}") from None
    try:
        # A shared probe on a read-only descriptor: no write access needed, and it fails while
        # a holder keeps its exclusive lock.
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the probe
    return False


def _ambiguous(ref: str, ids: list[str]) -> str:
    shown = ", ".join(ids[:CANDIDATES_SHOWN])
    more = " and more" if len(ids) > CANDIDATES_SHOWN else ""
    return f"run id {ref!r} is ambiguous: it begins {shown}{more}; give more of the id"


def _require(state_dir: Path) -> None:
    if not (state_dir / DB_NAME).is_file():
        raise StateDirError(f"no bulkops journal in {state_dir} (see --state-dir)")


def _read_only_uri(state_dir: Path) -> str:
    """SQLite's read-only mode; `immutable` where the directory cannot be written at all.

    In a writable directory a `mode=ro` reader shares SQLite's -wal and -shm files with writers
    (and creates them if absent); in one nobody of ours can write, there is no writer to share
    with, and those files could not be created: unless a crashed writer left them, read the
    file as it stands.
    """
    db = (state_dir / DB_NAME).resolve()
    leftovers = all(Path(f"{db}-{suffix}").exists() for suffix in ("wal", "shm"))
    frozen = not _writable(state_dir) and not leftovers
    return f"{db.as_uri()}?{'immutable=1' if frozen else 'mode=ro'}"


def _writable(state_dir: Path) -> bool:
    # The owner's write bit counts even for root, who may write anyway: chmod -w says "hands off".
    return bool(state_dir.stat().st_mode & stat.S_IWUSR) and os.access(state_dir, os.W_OK)


def _newer_layout(state_dir: Path, version: int) -> str:
    return (
        f"the journal in {state_dir} was written by a newer bulkops (layout {version}; this one "
        f"reads up to {LAYOUT_VERSION}): upgrade bulkops, or use another --state-dir"
    )


def _private(state_dir: Path) -> None:
    """The state directory and the journal are the user's alone (0700, 0600)."""
    if not state_dir.is_dir():
        state_dir.mkdir(parents=True, mode=0o700)
    db = state_dir / DB_NAME
    if not db.exists():
        os.close(os.open(db, os.O_RDWR | os.O_CREAT, 0o600))
    for path, mode in ((state_dir, 0o700), (db, 0o600)):
        status = path.stat()
        if status.st_mode & 0o077 and status.st_uid == os.getuid():
            path.chmod(mode)


def _problem(state_dir: Path, exc: sqlite3.Error, doing: str) -> str:
    """What to tell the user about a sqlite error: damage gets its own advice."""
    if getattr(exc, "sqlite_errorname", "") not in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return f"{doing} in {state_dir}: {exc}"
    return (
        f"the journal in {state_dir} is damaged ({exc}); nothing was sent. Move "
        f"{state_dir / DB_NAME} aside to start afresh (its runs cannot be resumed then), or "
        "restore it from a backup"
    )


def _state_filter(
    states: Sequence[TaskState] | None, params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """SQL (starting " AND") keeping the tasks that read as one of `states`, and its parameters."""
    if not states:
        return "", params
    # A task reads inflight if stored so, or pending inside the lease: the stored states narrow
    # the rows, the lease test then picks among them.
    stored = set(states) | ({"pending"} if "inflight" in states else set())
    names = {f"stored{i}": state for i, state in enumerate(sorted(stored))}
    shown = {f"shown{i}": state for i, state in enumerate(states)}
    where = (
        f" AND state IN ({', '.join(':' + n for n in names)})"
        f" AND {_SHOWN} IN ({', '.join(':' + n for n in shown)})"
    )
    return where, {**params, **names, **shown}


def _entry_values(run_id: str, entry: Entry) -> tuple[Any, ...]:
    task = entry.task
    return (
        run_id,
        entry.seq,
        task.number,
        task.rule,
        task.action,
        body_json(task.body),
        lean_before_json(task.before),
        entry.state,
        entry.attempts,
        entry.error,
    )


def _run_info(row: tuple[Any, ...]) -> RunInfo:
    run_id, plan_name, source, fingerprint, auth_id, location, created, updated, status, raw = row
    return RunInfo(
        run_id,
        plan_name,
        source,
        fingerprint,
        auth_id,
        location,
        created,
        updated,
        status,
        json.loads(raw),
    )


def _entry(row: tuple[Any, ...]) -> Entry:
    seq, number, rule, action, body, before, state, attempts, error = row
    return Entry(seq, decode_task(number, rule, action, body, before), state, attempts, error)


def _acquire(fd: int, run_id: str, tries: int) -> None:
    # A few short tries: another process may hold the lock for an instant (closing a run).
    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt + 1 < tries:
                time.sleep(0.05)
    raise RunLockedError(
        f"run {run_id} is being executed by another bulkops process; "
        "wait for it to finish or stop it first"
    )
