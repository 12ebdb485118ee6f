"""The checkpoint journal: every run's frozen task list and each task's state, in SQLite.

A task is written `inflight` (and committed) before its request is sent, and `succeeded`/`failed`
after the answer. Completion marks may sit in a batch for a moment: if the process dies first, the
task is still `inflight`, and resume checks the number with a GET instead of sending blindly, so
no completed work is lost and nothing is sent twice. WAL with synchronous=NORMAL survives kill -9
(the OS keeps what was written); a power cut may lose the last few marks, which resume re-checks.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

DB_NAME: Final = "journal.sqlite3"
TASK_STATES: Final = ("pending", "inflight", "succeeded", "failed", "unchanged", "stale", "skipped")
# What a finished run reports; pending/inflight tasks of a stopped run count as skipped.
OUTCOMES: Final = ("succeeded", "failed", "unchanged", "stale", "skipped")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    plan_name TEXT,
    source TEXT,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    rule TEXT NOT NULL,
    action TEXT NOT NULL,
    body TEXT NOT NULL,
    changes TEXT NOT NULL,
    before TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tasks_state ON tasks (run_id, state);
"""


class JournalError(Exception):
    """The journal cannot be opened or used; the message says why."""


class RunLockedError(JournalError):
    """Another process is running this run."""


@dataclass(frozen=True, slots=True)
class TaskRow:
    seq: int
    number: str
    rule: str
    action: str  # "update" | "unrent" | "unchanged"
    body: dict[str, str]
    changes: list[dict[str, Any]]
    before: dict[str, Any]
    state: str = "pending"
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: str
    plan_name: str | None
    source: str | None
    fingerprint: str
    created_at: str
    updated_at: str
    status: str  # running | interrupted | stopped | finished
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Mark:
    """A state change for one task, as the executor reports it."""

    seq: int
    state: str
    attempts: int = 0
    error: str | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


class Journal:
    """One SQLite file under the state directory, holding every run."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(state_dir / DB_NAME, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the journal in {state_dir}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def create_run(
        self,
        *,
        plan_name: str | None,
        source: str | None,
        fingerprint: str,
        settings: dict[str, Any],
        tasks: Iterable[TaskRow],
    ) -> str:
        """Freeze a run's task list; return the new run's id."""
        run_id = new_run_id()
        now = _now()
        with self._transaction():
            self._db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
                (run_id, plan_name, source, fingerprint, now, now, json.dumps(settings)),
            )
            self._db.executemany(
                "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_task_values(run_id, task) for task in tasks),
            )
        return run_id

    def record(self, run_id: str, marks: Sequence[Mark]) -> None:
        """Write a batch of task state changes in one transaction."""
        if not marks:
            return
        with self._transaction():
            self._db.executemany(
                "UPDATE tasks SET state = ?, attempts = attempts + ?, error = ? "
                "WHERE run_id = ? AND seq = ?",
                [(m.state, m.attempts, m.error, run_id, m.seq) for m in marks],
            )

    def set_status(self, run_id: str, status: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET status = ?, updated_at = ? WHERE id = ?", (status, _now(), run_id)
            )

    def skip_remaining(self, run_id: str) -> int:
        """Mark every task not yet started as skipped (the failure threshold stopped the run)."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE tasks SET state = 'skipped' WHERE run_id = ? AND state = 'pending'",
                (run_id,),
            )
        return cursor.rowcount

    def runs(self) -> list[RunInfo]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY created_at DESC, id DESC")
        return [_run_info(row) for row in rows]

    def run(self, run_id: str) -> RunInfo | None:
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _run_info(row)

    def latest_unfinished(self) -> RunInfo | None:
        return next((r for r in self.runs() if r.status != "finished"), None)

    def tasks(self, run_id: str, states: Sequence[str] | None = None) -> Iterator[TaskRow]:
        """Stream a run's tasks in order, optionally only those in `states`."""
        query = "SELECT * FROM tasks WHERE run_id = ?"
        params: list[Any] = [run_id]
        if states:
            query += f" AND state IN ({', '.join('?' * len(states))})"
            params.extend(states)
        cursor = self._db.execute(query + " ORDER BY seq", params)
        for row in cursor:
            yield _task_row(row)

    def iter_tasks(self, run_id: str, states: Sequence[str], batch: int = 500) -> Iterator[TaskRow]:
        """Like `tasks`, but in batches of fresh queries, so the run may write while it reads.

        Keyset paging (seq > last seen) keeps memory flat for any run size and never holds a
        cursor open across writes to the same table.
        """
        marks = ", ".join("?" * len(states))
        query = (
            f"SELECT * FROM tasks WHERE run_id = ? AND seq > ? AND state IN ({marks}) "
            "ORDER BY seq LIMIT ?"
        )
        last = -1
        while True:
            rows = self._db.execute(query, (run_id, last, *states, batch)).fetchall()
            yield from (_task_row(row) for row in rows)
            if len(rows) < batch:
                return
            last = rows[-1][1]

    def counts(self, run_id: str) -> dict[str, int]:
        counts = dict.fromkeys(TASK_STATES, 0)
        rows = self._db.execute(
            "SELECT state, COUNT(*) FROM tasks WHERE run_id = ? GROUP BY state", (run_id,)
        )
        counts.update(dict(rows))
        return counts

    @contextlib.contextmanager
    def lock(self, run_id: str) -> Iterator[None]:
        """Hold the run's lock file; the OS releases it if the process dies."""
        locks = self.state_dir / "locks"
        locks.mkdir(exist_ok=True)
        fd = os.open(locks / f"{run_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunLockedError(
                    f"run {run_id} is being executed by another bulkops process; "
                    "wait for it to finish or stop it first"
                ) from None
            yield
        finally:
            os.close(fd)

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
            raise JournalError(f"journal write failed in {self.state_dir}: {exc}") from None


def summarize(counts: dict[str, int]) -> dict[str, int]:
    """Outcome counts that always add up to `planned`."""
    summary = {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}
    summary["skipped"] += counts.get("pending", 0) + counts.get("inflight", 0)
    summary["planned"] = sum(counts.values())
    return summary


def _task_values(run_id: str, task: TaskRow) -> tuple[Any, ...]:
    return (
        run_id,
        task.seq,
        task.number,
        task.rule,
        task.action,
        json.dumps(task.body),
        json.dumps(task.changes),
        json.dumps(task.before),
        task.state,
        task.attempts,
        task.error,
    )


def _run_info(row: tuple[Any, ...]) -> RunInfo:
    run_id, plan_name, source, fingerprint, created_at, updated_at, status, settings = row
    return RunInfo(
        run_id,
        plan_name,
        source,
        fingerprint,
        created_at,
        updated_at,
        status,
        json.loads(settings),
    )


def _task_row(row: tuple[Any, ...]) -> TaskRow:
    _run_id, seq, number, rule, action, body, changes, before, state, attempts, error = row
    return TaskRow(
        seq,
        number,
        rule,
        action,
        json.loads(body),
        json.loads(changes),
        json.loads(before),
        state,
        attempts,
        error,
    )
